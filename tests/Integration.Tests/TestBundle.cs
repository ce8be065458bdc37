using System.Text.Json;
using ContainerConsole.Runtime.Plan;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// An OCI bundle over the shared busybox rootfs: an overlay with a private upper
/// layer, so containers never change the shared lower layer. Disposing deletes the
/// container (if ccrun still knows it) and the bundle, then checks nothing leaked.
/// </summary>
public sealed class TestBundle : IDisposable
{
    public string Id { get; }
    public string Dir { get; }
    public string Root { get; }
    public RuntimeSpec Spec { get; }
    public string OutputFile => Path.Combine(Dir, "output.log");

    public TestBundle(IEnumerable<string> args, Action<RuntimeSpec>? customize = null, string? id = null)
    {
        Id = id ?? "t" + Guid.NewGuid().ToString("N")[..10];
        Dir = Path.Combine(Path.GetTempPath(), "cc-bundle-" + Id);
        Root = Path.Combine(Path.GetTempPath(), "cc-state-" + Id);
        Directory.CreateDirectory(Path.Combine(Dir, "rootfs"));
        Directory.CreateDirectory(Path.Combine(Dir, "upper"));
        Directory.CreateDirectory(Path.Combine(Dir, "work"));
        Spec = DefaultSpec.Create("rootfs", args.ToList(), "box-" + Id);
        Spec.Linux!.CgroupsPath = $"/containerconsole-test/{Id}";
        Spec.Annotations[InitPlanner.OverlayLowerAnnotation] = TestEnvironment.BusyboxRootfs;
        Spec.Annotations[InitPlanner.OverlayUpperAnnotation] = Path.Combine(Dir, "upper");
        Spec.Annotations[InitPlanner.OverlayWorkAnnotation] = Path.Combine(Dir, "work");
        customize?.Invoke(Spec);
        Save();
    }

    public void Save() =>
        File.WriteAllText(Path.Combine(Dir, "config.json"), JsonSerializer.Serialize(Spec, RuntimeSpecJson.Default.RuntimeSpec));

    public TestEnvironment.Result Ccrun(params string[] args) =>
        TestEnvironment.Run(TestEnvironment.Ccrun, ["--root", Root, .. args]);

    /// <summary>`run` in the foreground: the container's stdio are ours.</summary>
    public TestEnvironment.Result RunForeground() => Ccrun("run", "--bundle", Dir, Id);

    /// <summary>`create` with the container's stdio going to OutputFile (a pipe would stay open while it runs).</summary>
    public TestEnvironment.Result Create() =>
        TestEnvironment.Run("/bin/sh", "-c", "exec \"$0\" --root \"$1\" create --bundle \"$2\" \"$3\" </dev/null >>\"$4\" 2>&1",
            TestEnvironment.Ccrun, Root, Dir, Id, OutputFile);

    public string Output => File.Exists(OutputFile) ? File.ReadAllText(OutputFile) : "";

    public string Status()
    {
        var r = Ccrun("state", Id);
        if (r.ExitCode != 0)
            return "missing";
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.GetProperty("status").GetString()!;
    }

    public int InitPid()
    {
        using var doc = JsonDocument.Parse(Ccrun("state", Id).Stdout);
        return doc.RootElement.GetProperty("pid").GetInt32();
    }

    public void WaitForStatus(string status, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Status() != status)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"container {Id} did not become {status} (is {Status()})");
            Thread.Sleep(20);
        }
    }

    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"container {Id} never printed \"{text}\"; output: {Output}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        Ccrun("delete", "--force", Id);
        Leaks.AssertNone(Id, Dir);
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, true);
        if (Directory.Exists(Root))
            Directory.Delete(Root, true);
    }
}
