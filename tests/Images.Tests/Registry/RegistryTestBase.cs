using ContainerConsole.Images.Registry;
using ContainerConsole.Images.Store;
using ContainerConsole.Images.Tests.TestSupport;

namespace ContainerConsole.Images.Tests.Registry;

/// <summary>A store, a credential store and an <see cref="ImageDistribution"/> talking to a <see cref="FakeRegistry"/>.</summary>
public abstract class RegistryTestBase : IDisposable
{
    protected readonly TempDir Dir = new();
    protected readonly FakeLayerUnpacker Unpacker = new();
    protected readonly TestLayer Base = TestLayer.Create(gzip: true, ("etc/os-release", "ID=test\n"), ("bin/sh", "#!fake\n"));
    protected readonly TestLayer App = TestLayer.Create(gzip: false, ("app/run", "hello\n"));
    protected readonly TestLayer Other = TestLayer.Create(gzip: false, ("srv/data", "other\n"));

    protected ImageStore Store { get; }
    protected CredentialStore Credentials { get; }

    protected RegistryTestBase()
    {
        Store = new ImageStore(Path.Combine(Dir.Path, "store"), Unpacker);
        Credentials = new CredentialStore(Path.Combine(Dir.Path, "auth.json"));
    }

    public void Dispose() => Dir.Dispose();

    protected ImageDistribution Distribution(FakeRegistry registry, long chunkSize = 16 << 20) =>
        new(Store, new RegistryEndpoints(new RegistryOptions { CertsDir = Path.Combine(Dir.Path, "certs") }), Credentials, _ => registry)
        {
            UploadChunkSize = chunkSize,
        };

    protected static RecordingProgress NewProgress() => new();

    protected void AssertStoreEmpty()
    {
        Assert.Empty(Store.ImageIds());
        Assert.Empty(Store.Content.List());
        Assert.Empty(Store.Layers.List());
        Assert.Empty(Store.References.List());
    }

    /// <summary>Collects progress messages synchronously (System.Progress would post them to the thread pool).</summary>
    protected sealed class RecordingProgress : IProgress<ProgressMessage>
    {
        private readonly List<ProgressMessage> _messages = [];

        public IReadOnlyList<ProgressMessage> Messages
        {
            get
            {
                lock (_messages)
                {
                    return _messages.ToList();
                }
            }
        }

        public void Report(ProgressMessage value)
        {
            lock (_messages)
            {
                _messages.Add(value);
            }
        }

        public IEnumerable<string> Statuses => Messages.Select(m => m.Id is null ? m.Status ?? "" : $"{m.Id}: {m.Status}");
    }
}
