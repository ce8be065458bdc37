using System.Runtime.InteropServices;
using System.Text;
using ContainerConsole.Runtime.Interop;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>Installs a device eBPF program on a cgroup v2 directory.</summary>
public interface IDeviceFilterLoader
{
    /// <summary>
    /// Loads <paramref name="program"/> and makes it the device filter of <paramref name="cgroupDir"/>,
    /// replacing any device programs previously attached there (so live updates do not stack filters).
    /// </summary>
    void Install(string cgroupDir, IReadOnlyList<BpfInstruction> program);
}

/// <summary>bpf(BPF_PROG_LOAD) + bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) through syscall(2).</summary>
public sealed unsafe class BpfDeviceFilterLoader : IDeviceFilterLoader
{
    private const int BPF_PROG_LOAD = 5, BPF_PROG_ATTACH = 8, BPF_PROG_DETACH = 9, BPF_PROG_GET_FD_BY_ID = 13, BPF_PROG_QUERY = 16;
    private const int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    private const int BPF_CGROUP_DEVICE = 6;
    private const uint BPF_F_ALLOW_MULTI = 2;
    private const int MaxQueried = 64;

    // union bpf_attr is large and the kernel writes query results (e.g. "revision") past the fields
    // we fill, so every call gets a generously sized zeroed buffer.
    private const int AttrBuffer = 256;

    private static int SysBpf => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        Architecture.X86 => 357,
        Architecture.Arm => 386,
        var a => throw new PlatformNotSupportedException($"bpf(2) syscall number unknown for {a}"),
    };

    public void Install(string cgroupDir, IReadOnlyList<BpfInstruction> program)
    {
        var dirFd = OpenDir(cgroupDir);
        try
        {
            var (oldIds, oldFlags) = Query(dirFd);
            var progFd = Load(program);
            try
            {
                if (oldIds.Count == 0 || (oldFlags & BPF_F_ALLOW_MULTI) != 0)
                {
                    // Attach the new filter before detaching the old ones: never a moment without a filter.
                    Attach(dirFd, progFd, BPF_F_ALLOW_MULTI);
                    foreach (var id in oldIds)
                        Detach(dirFd, id);
                }
                else
                {
                    // A single program attached without ALLOW_MULTI is replaced by attaching with the same flags.
                    Attach(dirFd, progFd, oldFlags);
                }
            }
            finally
            {
                close(progFd); // the attachment keeps its own reference
            }
        }
        finally
        {
            close(dirFd);
        }
    }

    /// <summary>Ids of the device programs attached directly to <paramref name="cgroupDir"/> (diagnostics, tests).</summary>
    public static IReadOnlyList<uint> QueryAttached(string cgroupDir)
    {
        var dirFd = OpenDir(cgroupDir);
        try
        {
            return Query(dirFd).Ids;
        }
        finally
        {
            close(dirFd);
        }
    }

    private static int Bpf(int cmd, byte* attr, int size, string what)
    {
        var rv = (int)syscall(SysBpf, cmd, attr, size);
        if (rv < 0)
            throw new CgroupException(what, Marshal.GetLastPInvokeError());
        return rv;
    }

    private static int OpenDir(string path)
    {
        var p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            var fd = open(pp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd < 0)
                throw new CgroupException($"open {path}", Marshal.GetLastPInvokeError(), path);
            return fd;
        }
    }

    private static int Load(IReadOnlyList<BpfInstruction> program)
    {
        var insns = DeviceFilterProgram.Encode(program);
        var license = Encoding.ASCII.GetBytes(DeviceFilterProgram.License + "\0");
        var attr = stackalloc byte[AttrBuffer];
        fixed (byte* pi = insns)
        fixed (byte* pl = license)
        {
            try
            {
                return Bpf(BPF_PROG_LOAD, FillLoad(attr, pi, program.Count, pl, null, 0), AttrBuffer / 2, "bpf(BPF_PROG_LOAD)");
            }
            catch (CgroupException first)
            {
                // Load again with the verifier log so the error says why the program was rejected.
                var log = new byte[64 * 1024];
                fixed (byte* plog = log)
                {
                    var rv = (int)syscall(SysBpf, BPF_PROG_LOAD, FillLoad(attr, pi, program.Count, pl, plog, log.Length), AttrBuffer / 2);
                    if (rv >= 0)
                        return rv;
                }
                var text = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
                throw new CgroupException($"{first.Message}{(text.Length > 0 ? $"; verifier: {text}" : "")}");
            }
        }
    }

    private static byte* FillLoad(byte* attr, byte* insns, int count, byte* license, byte* log, int logSize)
    {
        new Span<byte>(attr, AttrBuffer).Clear();
        *(uint*)(attr + 0) = BPF_PROG_TYPE_CGROUP_DEVICE; // prog_type
        *(uint*)(attr + 4) = (uint)count;                 // insn_cnt
        *(ulong*)(attr + 8) = (ulong)insns;               // insns
        *(ulong*)(attr + 16) = (ulong)license;            // license
        if (log is not null)
        {
            *(uint*)(attr + 24) = 1;                      // log_level
            *(uint*)(attr + 28) = (uint)logSize;          // log_size
            *(ulong*)(attr + 32) = (ulong)log;            // log_buf
        }
        return attr;
    }

    private static (List<uint> Ids, uint Flags) Query(int dirFd)
    {
        var attr = stackalloc byte[AttrBuffer];
        new Span<byte>(attr, AttrBuffer).Clear();
        var ids = stackalloc uint[MaxQueried];
        *(uint*)(attr + 0) = (uint)dirFd;             // target_fd
        *(uint*)(attr + 4) = BPF_CGROUP_DEVICE;       // attach_type
        *(ulong*)(attr + 16) = (ulong)ids;            // prog_ids
        *(uint*)(attr + 24) = MaxQueried;             // prog_cnt (in: capacity, out: count)
        Bpf(BPF_PROG_QUERY, attr, 40, "bpf(BPF_PROG_QUERY)");
        var flags = *(uint*)(attr + 12);              // attach_flags
        var count = Math.Min(*(uint*)(attr + 24), MaxQueried);
        var result = new List<uint>((int)count);
        for (var i = 0; i < count; i++)
            result.Add(ids[i]);
        return (result, flags);
    }

    private static void Attach(int dirFd, int progFd, uint flags)
    {
        var attr = stackalloc byte[AttrBuffer];
        new Span<byte>(attr, AttrBuffer).Clear();
        *(uint*)(attr + 0) = (uint)dirFd;         // target_fd
        *(uint*)(attr + 4) = (uint)progFd;        // attach_bpf_fd
        *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;   // attach_type
        *(uint*)(attr + 12) = flags;              // attach_flags
        Bpf(BPF_PROG_ATTACH, attr, 24, "bpf(BPF_PROG_ATTACH)");
    }

    private static void Detach(int dirFd, uint progId)
    {
        var attr = stackalloc byte[AttrBuffer];
        new Span<byte>(attr, AttrBuffer).Clear();
        *(uint*)(attr + 0) = progId;              // prog_id
        int progFd;
        try
        {
            progFd = Bpf(BPF_PROG_GET_FD_BY_ID, attr, 12, "bpf(BPF_PROG_GET_FD_BY_ID)");
        }
        catch (CgroupException e) when (e.Errno == Errnos.ENOENT)
        {
            return; // already detached and freed
        }
        try
        {
            new Span<byte>(attr, AttrBuffer).Clear();
            *(uint*)(attr + 0) = (uint)dirFd;
            *(uint*)(attr + 4) = (uint)progFd;
            *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;
            Bpf(BPF_PROG_DETACH, attr, 24, "bpf(BPF_PROG_DETACH)");
        }
        finally
        {
            close(progFd);
        }
    }
}
