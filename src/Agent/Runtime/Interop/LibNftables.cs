using System.Runtime.InteropServices;

namespace ContainerConsole.Runtime.Interop;

/// <summary>An nft command buffer the kernel (or nft's parser) rejected; the message is nft's own error text.</summary>
public sealed class NftablesException(string message) : Exception(message);

/// <summary>A libnftables context (struct nft_ctx); released with nft_ctx_free.</summary>
public sealed class NftContextHandle : SafeHandle
{
    public NftContextHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibNftables.Native.nft_ctx_free(handle);
        return true;
    }
}

/// <summary>
/// libnftables, the library /usr/sbin/nft is built on (Debian's libnftables1): runs nft command text in-process. One
/// buffer is one netlink batch, so every command in it applies atomically or none does.
/// </summary>
public static partial class LibNftables
{
    private const string LibName = "libnftables.so.1";
    private const uint OutputJson = 1 << 4; // NFT_CTX_OUTPUT_JSON

    /// <summary>A context whose output and errors go to buffers (not stdout/stderr); <paramref name="json"/> lists as JSON.</summary>
    public static NftContextHandle Open(bool json = false)
    {
        var ctx = Native.nft_ctx_new(0 /* NFT_CTX_DEFAULT */);
        if (ctx.IsInvalid)
            throw new NftablesException("nft_ctx_new failed (is libnftables1 installed?)");
        if (Native.nft_ctx_buffer_output(ctx) != 0 || Native.nft_ctx_buffer_error(ctx) != 0)
        {
            ctx.Dispose();
            throw new NftablesException("nft_ctx_buffer_output/error failed");
        }
        if (json)
            Native.nft_ctx_output_set_flags(ctx, Native.nft_ctx_output_get_flags(ctx) | OutputJson);
        return ctx;
    }

    /// <summary>Runs the commands; returns what they printed (listings). Throws with nft's error text on failure.</summary>
    public static string Run(NftContextHandle ctx, string commands)
    {
        var rc = Native.nft_run_cmd_from_buffer(ctx, commands);
        var output = Marshal.PtrToStringUTF8(Native.nft_ctx_get_output_buffer(ctx)) ?? "";
        var error = Marshal.PtrToStringUTF8(Native.nft_ctx_get_error_buffer(ctx)) ?? "";
        if (rc != 0)
            throw new NftablesException(error.Trim() is { Length: > 0 } e ? e : $"nft failed (rc {rc})");
        return output;
    }

    internal static partial class Native
    {
        [LibraryImport(LibName)]
        public static partial NftContextHandle nft_ctx_new(uint flags);

        [LibraryImport(LibName)]
        public static partial void nft_ctx_free(IntPtr ctx);

        [LibraryImport(LibName)]
        public static partial int nft_ctx_buffer_output(NftContextHandle ctx);

        [LibraryImport(LibName)]
        public static partial int nft_ctx_buffer_error(NftContextHandle ctx);

        [LibraryImport(LibName)]
        public static partial IntPtr nft_ctx_get_output_buffer(NftContextHandle ctx);

        [LibraryImport(LibName)]
        public static partial IntPtr nft_ctx_get_error_buffer(NftContextHandle ctx);

        [LibraryImport(LibName)]
        public static partial uint nft_ctx_output_get_flags(NftContextHandle ctx);

        [LibraryImport(LibName)]
        public static partial void nft_ctx_output_set_flags(NftContextHandle ctx, uint flags);

        [LibraryImport(LibName, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int nft_run_cmd_from_buffer(NftContextHandle ctx, string buffer);
    }
}
