using System.Globalization;
using System.Text.Json;
using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Lifecycle;
using ContainerConsole.Runtime.Spec;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Ccrun;

/// <summary>One method per runc verb; exit codes as runc's (1 on error, the container's own for run/exec).</summary>
internal static class Verbs
{
    public static int Run(CommandLine cl, RuntimeContext ctx, RuntimeLog log)
    {
        switch (cl.Verb)
        {
            case "create":
                CreateOperation.Create(ctx, CreateOptionsOf(cl));
                return 0;
            case "start":
                StartOperation.Start(ctx, Id(cl), Console.Error);
                return 0;
            case "run":
                return Run(cl, ctx);
            case "state":
                Console.WriteLine(JsonSerializer.Serialize(StateOperation.Query(ctx, Id(cl)), RuntimeSpecJson.Default.ContainerStateDocument));
                return 0;
            case "kill":
                KillOperation.Kill(ctx, Id(cl), Signals.Parse(cl.Positionals.Count > 1 ? cl.Positionals[1] : "SIGTERM"), cl.Has("a", "all"));
                return 0;
            case "delete":
                if (cl.Has("f", "force") && !ctx.Store.Exists(Id(cl)))
                    return 0; // runc: delete --force of a missing container succeeds
                DeleteOperation.Delete(ctx, Id(cl), cl.Has("f", "force"), Console.Error);
                return 0;
            case "pause":
                PauseOperation.Pause(ctx, Id(cl));
                return 0;
            case "resume":
                PauseOperation.Resume(ctx, Id(cl));
                return 0;
            case "exec":
                return Exec(cl, ctx);
            case "update":
                UpdateOperation.Update(ctx, Id(cl), ResourcesOf(cl));
                return 0;
            case "ps":
            {
                var r = ctx.Store.Load(Id(cl));
                foreach (var pid in ctx.Cgroups(r.CgroupsPath).GetPids())
                    Console.WriteLine(pid);
                return 0;
            }
            case "list":
                List(cl, ctx);
                return 0;
            case "spec":
            {
                var dir = cl.Get("bundle", "b") ?? ".";
                var path = Path.Combine(dir, "config.json");
                if (File.Exists(path))
                    throw new ArgumentException($"{path} already exists");
                File.WriteAllText(path, JsonSerializer.Serialize(DefaultSpec.Create(), RuntimeSpecJson.Default.RuntimeSpec));
                return 0;
            }
            default:
                throw new ArgumentException($"unknown command \"{cl.Verb}\" (see ccrun --help)");
        }
    }

    private static string Id(CommandLine cl) =>
        cl.Positionals.Count > 0 ? cl.Positionals[0] : throw new ArgumentException($"{cl.Verb}: container id required");

    private static CreateOptions CreateOptionsOf(CommandLine cl) =>
        new(Id(cl), cl.Get("bundle", "b") ?? Directory.GetCurrentDirectory(), cl.Get("pid-file"), cl.Get("console-socket"));

    private static int Exec(CommandLine cl, RuntimeContext ctx)
    {
        var id = Id(cl);
        Process process;
        if (cl.Get("process", "p") is { } file)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            process = RuntimeSpecReader.ReadProcess(doc.RootElement, "process");
        }
        else
        {
            var container = ctx.Store.Load(id).Config.Process ?? new Process();
            process = new Process
            {
                Args = cl.Positionals.Skip(1).ToList(),
                Env = [.. container.Env, .. cl.GetAll("env", "e")],
                Cwd = cl.Get("cwd") ?? container.Cwd,
                User = container.User,
                Capabilities = container.Capabilities,
                NoNewPrivileges = container.NoNewPrivileges,
                Terminal = cl.Has("t", "tty"),
                ConsoleSize = Terminal.IsTerminal(0) && Terminal.GetSize(0) is { } size ? new ConsoleSize { Height = size.Rows, Width = size.Cols } : null,
            };
            if (cl.Get("user", "u") is { } user)
            {
                var parts = user.Split(':');
                process.User = new User { Uid = uint.Parse(parts[0], CultureInfo.InvariantCulture), Gid = parts.Length > 1 ? uint.Parse(parts[1], CultureInfo.InvariantCulture) : 0 };
            }
        }
        var detach = cl.Has("d", "detach");
        if (!process.Terminal || cl.Get("console-socket") is not null)
            return ExecOperation.Exec(ctx, new ExecOptions(id, process, detach, cl.Get("pid-file"), process.Terminal ? cl.Get("console-socket") : null));
        if (detach)
            throw new ArgumentException("exec --tty --detach needs --console-socket to hand the terminal to");
        using var proxy = new TerminalProxy(ctx.Store.Root);
        return ExecOperation.Exec(ctx, new ExecOptions(id, process, false, cl.Get("pid-file"), proxy.SocketPath, proxy.Start));
    }

    private static int Run(CommandLine cl, RuntimeContext ctx)
    {
        // The proxy is made only if the spec asks for a terminal and no socket was given.
        TerminalProxy? proxy = null;
        try
        {
            var options = CreateOptionsOf(cl) with { TerminalFallback = () => (proxy = new TerminalProxy(ctx.Store.Root)).SocketPath };
            return RunOperation.Run(ctx, options, cl.Has("d", "detach"), Console.Error, () => proxy?.Start());
        }
        finally
        {
            proxy?.Dispose();
        }
    }

    private static LinuxResources ResourcesOf(CommandLine cl)
    {
        if (cl.Get("resources", "r") is { } file)
        {
            var json = file == "-" ? Console.In.ReadToEnd() : File.ReadAllText(file);
            using var doc = JsonDocument.Parse(json);
            return RuntimeSpecReader.ReadResources(doc.RootElement);
        }
        var r = new LinuxResources();
        long? L(string name) => cl.Get(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;
        if (L("memory") is { } mem || L("memory-swap") is not null)
            r.Memory = new MemoryResources { Limit = L("memory"), Swap = L("memory-swap") };
        if (L("cpu-shares") is not null || L("cpu-quota") is not null || L("cpu-period") is not null || cl.Get("cpuset-cpus") is not null)
            r.Cpu = new CpuResources { Shares = (ulong?)L("cpu-shares"), Quota = L("cpu-quota"), Period = (ulong?)L("cpu-period"), Cpus = cl.Get("cpuset-cpus"), Mems = cl.Get("cpuset-mems") };
        if (L("pids-limit") is { } pids)
            r.Pids = new PidsResources { Limit = pids };
        if (L("blkio-weight") is { } w)
            r.BlockIO = new BlockIoResources { Weight = (ushort)w };
        return r;
    }

    private static void List(CommandLine cl, RuntimeContext ctx)
    {
        var rows = ctx.Store.List().Select(id =>
        {
            var r = ctx.Store.Load(id);
            return (Record: r, Status: StateOperation.StatusOf(ctx, r));
        }).ToList();
        if (cl.Has("q", "quiet"))
        {
            foreach (var (r, _) in rows)
                Console.WriteLine(r.Id);
            return;
        }
        if (cl.Get("format", "f") == "json")
        {
            Console.WriteLine("[" + string.Join(",", rows.Select(x => JsonSerializer.Serialize(StateOperation.Document(x.Record, x.Status), RuntimeSpecJson.Default.ContainerStateDocument))) + "]");
            return;
        }
        Console.WriteLine($"{"ID",-20} {"PID",-8} {"STATUS",-10} {"BUNDLE",-40} CREATED");
        foreach (var (r, s) in rows)
            Console.WriteLine($"{r.Id,-20} {(s == ContainerStatus.Stopped ? 0 : r.InitPid),-8} {s.ToSpecString(),-10} {r.Bundle,-40} {r.Created:O}");
    }
}
