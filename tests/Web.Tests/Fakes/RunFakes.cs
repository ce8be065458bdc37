using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Tests.Fakes;

/// <summary>Records run requests; refuses them with <see cref="Invalid"/> (by field) when set.</summary>
public sealed class FakeRunner : IContainerRunner
{
    public List<(string Host, RunRequest Request)> Runs { get; } = [];

    public Dictionary<string, string[]>? Invalid { get; set; }

    public Task<RunChoices> GetChoicesAsync(string host, CancellationToken cancellationToken) =>
        Task.FromResult(new RunChoices([$"busybox:latest", $"{host}-app:1.0"], ["bridge", "backend"]));

    public Task<string> RunAsync(string host, RunRequest request, CancellationToken cancellationToken)
    {
        if (Invalid is not null)
        {
            throw new ConsoleValidationException(Invalid);
        }

        Runs.Add((host, request));
        return Task.FromResult("c0ffee" + Runs.Count);
    }
}
