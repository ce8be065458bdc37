using System.Text.Json;
using ContainerConsole.Ccrun;
using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Lifecycle;
using ContainerConsole.Runtime.Spec;

// ccrun: the OCI runtime command line, with runc's verbs, flags and exit codes.
ProcessSpawner.ResetSigchld();

var booleans = new HashSet<string> { "d", "detach", "f", "force", "a", "all", "t", "tty", "q", "quiet", "debug", "systemd-cgroup", "no-pivot", "no-new-keyring", "rootless", "version", "v", "h", "help" };
CommandLine cl;
try
{
    cl = CommandLine.Parse(args, booleans);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"ccrun: {e.Message}");
    return 1;
}

if (cl.Has("version", "v"))
{
    Console.WriteLine("ccrun version 0.1.0\nspec: 1.2.0");
    return 0;
}
var log = new RuntimeLog(cl.Get("log"), cl.Get("log-format") ?? "text");
if (cl.Verb is null || cl.Has("help", "h"))
{
    Console.WriteLine(Usage.Text);
    return cl.Verb is null && !cl.Has("help", "h") ? 1 : 0;
}

var root = cl.Get("root") ?? "/run/ccrun";
try
{
    return Verbs.Run(cl, RuntimeContext.ForHost(root), log);
}
catch (Exception e) when (e is SpecValidationException or InvalidStatusException or ContainerNotFoundException or ContainerSetupException or SyscallException or ArgumentException or IOException or UnauthorizedAccessException or JsonException or ContainerConsole.Runtime.Cgroups.CgroupException)
{
    log.Error(e.Message);
    return 1;
}
