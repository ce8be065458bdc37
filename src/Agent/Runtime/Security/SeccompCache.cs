using System.Buffers.Binary;
using System.Text.Json;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Runtime.Security;

/// <summary>
/// Compiled filters keyed by their profile. libseccomp takes ~20 ms for Docker's
/// profile over three architectures, more than the rest of a container start, and
/// nearly every container uses the same profile.
/// File: flags (u32 LE), profile length (u32 LE), the profile JSON, the BPF program.
/// The key is only a file name: a hit counts only if the stored profile is byte-equal,
/// so a hash collision can never hand a container another profile's filter. (FNV, not
/// SHA-256: loading the crypto library costs more than the compile saves on a hit.)
/// </summary>
public static class SeccompCache
{
    public sealed record Entry(string Path, int ProgramOffset, CompiledSeccomp Filter);

    public static Entry Get(LinuxSeccomp profile, string cacheDir)
    {
        var json = profile.RawJson ?? JsonSerializer.SerializeToUtf8Bytes(profile, RuntimeSpecJson.Default.LinuxSeccomp);
        var path = System.IO.Path.Combine(cacheDir, Fnv1a64(json).ToString("x16") + ".bpf");
        var offset = 8 + json.Length;
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length > offset
                && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)) == json.Length
                && bytes.AsSpan(8, json.Length).SequenceEqual(json)
                && (bytes.Length - offset) % 8 == 0)
                return new Entry(path, offset, new CompiledSeccomp(bytes[offset..], BinaryPrimitives.ReadUInt32LittleEndian(bytes)));
        }
        var compiled = SeccompCompiler.Compile(profile);
        var content = new byte[offset + compiled.Program.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(content, compiled.Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(content.AsSpan(4), (uint)json.Length);
        json.CopyTo(content, 8);
        compiled.Program.CopyTo(content, offset);
        Directory.CreateDirectory(cacheDir);
        AtomicFile.Write(path, content);
        return new Entry(path, offset, compiled);
    }

    internal static ulong Fnv1a64(ReadOnlySpan<byte> data)
    {
        var h = 14695981039346656037UL;
        foreach (var b in data)
            h = (h ^ b) * 1099511628211UL;
        return h;
    }
}
