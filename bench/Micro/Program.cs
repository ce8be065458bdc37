using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In process: BenchmarkDotNet's default toolchain would build this project (and the agent under it) again for every
// run. ShortRun (3 warmups, 3 iterations) keeps the whole suite to a few minutes on 2 cores.
var config = ManualConfig.CreateEmpty()
    .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
    .AddLogger(DefaultConfig.Instance.GetLoggers().ToArray())
    .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
    .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddExporter(new PlainMarkdownExporter());
try
{
    BenchmarkSwitcher.FromAssembly(typeof(ContainerConsole.Bench.Micro.SpecBenchmarks).Assembly).Run(args, config);
}
finally
{
    ContainerConsole.Bench.Micro.Scratch.RemoveDeferred();
}

/// <summary>GitHub markdown without bold group starts or HTML escapes: tables that read the same in a terminal.</summary>
internal sealed class PlainMarkdownExporter : MarkdownExporter
{
    public PlainMarkdownExporter()
    {
        Dialect = "GitHub";
        UseCodeBlocks = true;
        CodeBlockStart = "```";
        CodeBlockEnd = "```";
        StartOfGroupHighlightStrategy = MarkdownHighlightStrategy.None;
        ColumnsStartWithSeparator = true;
        EscapeHtml = false;
    }
}
