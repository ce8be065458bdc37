using System.Globalization;
using System.Text.RegularExpressions;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Build;
using ContainerConsole.Images.Registry;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.Lifecycle;
using OciConfig = ContainerConsole.Images.Oci.ContainerConfig;

namespace ContainerConsole.Agent.Build;

/// <summary>POST /build's parameters (Docker's names).</summary>
public sealed record BuildRequest(
    string Dockerfile,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string?> BuildArgs,
    bool NoCache,
    IReadOnlyDictionary<string, string> Labels,
    string? Target);

/// <summary>A build whose context is unpacked and whose Dockerfile parsed; disposing removes its work directory.</summary>
public sealed class PreparedBuild(BuildRequest request, Dockerfile dockerfile, BuildContext context, string workDir) : IDisposable
{
    public BuildRequest Request { get; } = request;
    public Dockerfile Dockerfile { get; } = dockerfile;
    public BuildContext Context { get; } = context;
    public string WorkDir { get; } = workDir;

    public void Dispose() => ImageBuilder.RemoveWorkDir(WorkDir);
}

/// <summary>
/// Docker's classic builder: one image per step, each a child of the previous one, looked up in the layer cache
/// first; RUN steps run in real containers (<see cref="BuildContainer"/>), COPY/ADD write a new layer from the
/// context or another stage, the other instructions only change the config.
/// </summary>
public sealed partial class ImageBuilder
{
    private static readonly string[] DefaultShell = ["/bin/sh", "-c"];
    private const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private readonly AgentOptions _options;
    private readonly ImageStore _images;
    private readonly BuildContainer _runner;
    private readonly ImageDistribution _distribution;

    public ImageBuilder(AgentOptions options, ImageStore images, BuildContainer runner, ImageDistribution distribution, ILogger<ImageBuilder> log)
    {
        _options = options;
        _images = images;
        _runner = runner;
        _distribution = distribution;
        // A build that died with the agent left its work directory (and maybe a mount) behind.
        if (Directory.Exists(BuildRoot))
        {
            foreach (var mount in File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
                         .Where(m => m.StartsWith(BuildRoot + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
                RootfsMount.Unmount(mount);
            foreach (var dir in Directory.EnumerateDirectories(BuildRoot))
            {
                log.LogInformation("removing the work directory {Dir} of an interrupted build", dir);
                RemoveWorkDir(dir);
            }
        }
    }

    private string BuildRoot => Path.Combine(_options.DataRoot, "build");

    /// <summary>Unpacks the context and parses the Dockerfile; errors here are the client's (400) and come before any output.</summary>
    public async Task<PreparedBuild> PrepareAsync(BuildRequest request, Stream contextTar, CancellationToken ct)
    {
        foreach (var t in request.Tags)
            if (!ImageReference.TryParse(t, out _))
                throw EngineException.BadRequest($"invalid reference format: \"{t}\"");
        var workDir = Path.Combine(BuildRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workDir);
        try
        {
            BuildContext context;
            try
            {
                context = await BuildContext.ExtractAsync(contextTar, workDir, request.Dockerfile, ct);
            }
            catch (ContainerConsole.Images.ImageFormatException e)
            {
                throw EngineException.BadRequest($"build context: {e.Message}");
            }
            Dockerfile dockerfile;
            try
            {
                dockerfile = DockerfileReader.Read(context.DockerfileText, request.Dockerfile);
                if (request.Target is { Length: > 0 } target)
                    dockerfile.StageIndex(target);
            }
            catch (DockerfileException e)
            {
                throw EngineException.BadRequest(e.Message);
            }
            return new PreparedBuild(request, dockerfile, context, workDir);
        }
        catch
        {
            RemoveWorkDir(workDir);
            throw;
        }
    }

    internal static void RemoveWorkDir(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs every stage up to the target; returns the image id. Step failures throw <see cref="BuildException"/>.</summary>
    public async Task<string> BuildAsync(PreparedBuild build, Func<string, Task> output, CancellationToken ct)
    {
        var run = new BuildRun(this, build, output);
        return await run.ExecuteAsync(ct);
    }

    /// <summary>One build's progress: stages done so far, the step counter, the build args used.</summary>
    private sealed class BuildRun(ImageBuilder builder, PreparedBuild build, Func<string, Task> output)
    {
        private readonly Dockerfile _file = build.Dockerfile;
        private readonly BuildRequest _request = build.Request;
        private readonly List<string?> _stageImages = [];
        private readonly HashSet<string> _consumedArgs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string?> _metaArgs = new(StringComparer.Ordinal);
        private int _step;
        private int _total;

        private ImageStore Images => builder._images;

        public async Task<string> ExecuteAsync(CancellationToken ct)
        {
            var last = string.IsNullOrEmpty(_request.Target) ? _file.Stages.Count - 1 : _file.StageIndex(_request.Target);
            _total = _file.Stages.Take(last + 1).Sum(s => 1 + s.Instructions.Count) + (_request.Labels.Count > 0 ? 1 : 0);
            foreach (var meta in _file.MetaArgs)
            {
                foreach (var (name, def) in meta.Args)
                {
                    _consumedArgs.Add(name);
                    _metaArgs[name] = _request.BuildArgs.TryGetValue(name, out var given) ? given
                        : def is null ? null : Expand(def, meta.Line, n => _metaArgs.GetValueOrDefault(n));
                }
            }
            StageState? state = null;
            for (var i = 0; i <= last; i++)
            {
                state = await RunStageAsync(_file.Stages[i], ct);
                _stageImages.Add(state.ImageId);
            }
            if (_request.Labels.Count > 0)
            {
                var text = "LABEL " + string.Join(' ', _request.Labels.Select(l => $"\"{l.Key}\"=\"{l.Value}\""));
                await StepHeaderAsync(text);
                var labels = new Dictionary<string, string>(state!.Config.Labels ?? new Dictionary<string, string>());
                foreach (var (k, v) in _request.Labels)
                    labels[k] = v;
                await ConfigStepAsync(state, text, state.Config with { Labels = labels }, ct);
            }
            var unused = _request.BuildArgs.Keys.Where(k => !_consumedArgs.Contains(k)).Order(StringComparer.Ordinal).ToList();
            if (unused.Count > 0)
                await output($"[Warning] One or more build-args [{string.Join(' ', unused)}] were not consumed\n");
            return state!.ImageId ?? throw new BuildException("No image was generated. Is your Dockerfile empty?");
        }

        /// <summary>As the classic builder: a base image not in the store is pulled, with the agent's stored credentials.</summary>
        private async Task<string> PullBaseAsync(string image, CancellationToken ct)
        {
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            // Byte counts are left out: the build output is a log, not a progress display.
            var progress = new LineProgress(m =>
            {
                if (m.Status is { } status && m.ProgressDetail?.Total is null or 0)
                    lines.Enqueue(m.Id is null ? status : $"{m.Id}: {status}");
            });
            string id;
            try
            {
                id = await builder._distribution.PullAsync(image, null, progress, ct);
            }
            catch (Exception e) when (e is RegistryException or ArgumentException or FormatException)
            {
                throw new BuildException($"pull access denied for {image}: {e.Message}");
            }
            foreach (var line in lines)
                await output(line + "\n");
            return id;
        }

        /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and race the pull's end).</summary>
        private sealed class LineProgress(Action<ProgressMessage> report) : IProgress<ProgressMessage>
        {
            public void Report(ProgressMessage value) => report(value);
        }

        private async Task StepHeaderAsync(string text) => await output($"Step {++_step}/{_total} : {text}\n");

        private async Task<StageState> RunStageAsync(Stage stage, CancellationToken ct)
        {
            await StepHeaderAsync(stage.From.Text);
            var state = new StageState(Images);
            var image = Expand(stage.From.Image, stage.From.Line, n => _metaArgs.GetValueOrDefault(n));
            if (!image.Equals("scratch", StringComparison.OrdinalIgnoreCase))
            {
                var previous = _file.Stages.Take(stage.Index).LastOrDefault(s => string.Equals(s.From.StageName, image, StringComparison.OrdinalIgnoreCase));
                state.ImageId = previous is not null
                    ? _stageImages[previous.Index] ?? throw new BuildException($"stage {image} produced no image to build on")
                    : Images.Resolve(image) ?? await PullBaseAsync(image, ct);
                var config = Images.ConfigOf(state.ImageId);
                state.Config = config.Config ?? new OciConfig();
                state.Author = config.Author;
                await output($" ---> {Short(state.ImageId)}\n");
            }
            if (!(state.Config.Env ?? []).Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)))
                state.Config = state.Config with { Env = [.. state.Config.Env ?? [], DefaultPath] }; // as Docker: RUN finds its commands

            foreach (var instruction in stage.Instructions)
            {
                ct.ThrowIfCancellationRequested();
                await StepHeaderAsync(instruction.Text);
                try
                {
                    await RunInstructionAsync(state, stage, instruction, ct);
                }
                catch (FormatException e)
                {
                    throw new DockerfileException($"{_file.FileName}:{instruction.Line}: {e.Message}");
                }
            }
            return state;
        }

        private Task RunInstructionAsync(StageState s, Stage stage, Instruction instruction, CancellationToken ct)
        {
            string X(string word) => Expand(word, instruction.Line, s.Lookup);
            var c = s.Config;
            switch (instruction)
            {
                case RunInstruction run:
                    return RunStepAsync(s, run, ct);
                case CopyInstruction copy:
                    return CopyStepAsync(s, stage, copy, ct);
                case WorkdirInstruction w:
                    return WorkdirStepAsync(s, X(w.Path), ct);
                case ArgInstruction arg:
                {
                    foreach (var (name, def) in arg.Args)
                    {
                        _consumedArgs.Add(name);
                        s.Args[name] = _request.BuildArgs.TryGetValue(name, out var given) ? given
                            : def is not null ? X(def)
                            : _metaArgs.GetValueOrDefault(name);
                    }
                    return ConfigStepAsync(s, "ARG " + string.Join(' ', arg.Args.Select(a => a.Default is null ? a.Name : $"{a.Name}={X(a.Default)}")), c, ct);
                }
                case CmdInstruction or EntrypointInstruction or EnvInstruction or LabelInstruction or UserInstruction
                    or ExposeInstruction or VolumeInstruction or ShellInstruction or StopSignalInstruction or HealthcheckInstruction:
                {
                    var cmdSet = s.CmdSet;
                    s.CmdSet |= instruction is CmdInstruction;
                    var (config, text) = ConfigInstructions.Apply(c, instruction, X, s.Shell, cmdSet)!.Value;
                    return ConfigStepAsync(s, text, config, ct);
                }
                case MaintainerInstruction maintainer:
                    s.Author = X(maintainer.Name);
                    return ConfigStepAsync(s, "MAINTAINER " + s.Author, c, ct);
                default:
                    throw new FormatException($"{instruction.GetType().Name} is not supported here");
            }
        }

        /// <summary>A step that only changes the config: an image with an empty_layer history entry.</summary>
        private Task ConfigStepAsync(StageState s, string canonical, OciConfig config, CancellationToken ct)
        {
            s.Config = config;
            var createdBy = "/bin/sh -c #(nop)  " + canonical;
            var key = BuildCacheKey.For(s.ImageId, createdBy + "\n" + s.Author);
            return CommitAsync(s, key, () => Images.AddBuildStepAsync(s.ImageId, config, null, createdBy, s.Author, key, ct));
        }

        private async Task CommitAsync(StageState s, string key, Func<Task<string>> make)
        {
            if (!_request.NoCache && Images.FindCachedStep(key) is { } cached)
            {
                await output(" ---> Using cache\n");
                s.ImageId = cached;
            }
            else
            {
                s.ImageId = await make();
            }
            await output($" ---> {Short(s.ImageId)}\n");
        }

        private async Task RunStepAsync(StageState s, RunInstruction run, CancellationToken ct)
        {
            var args = run.Command.Resolve(s.Shell);
            var buildArgs = s.Args.Where(a => a.Value is not null).Select(a => new KeyValuePair<string, string>(a.Key, a.Value!)).ToList();
            var createdBy = (buildArgs.Count > 0 ? $"|{buildArgs.Count} {string.Join(' ', buildArgs.Select(a => $"{a.Key}={a.Value}"))} " : "")
                            + string.Join(' ', args);
            var key = BuildCacheKey.For(s.ImageId, "RUN " + Json(args) + "\n" + s.Author, buildArgs);
            await CommitAsync(s, key, async () =>
            {
                var lowers = s.LowerDirs();
                if (lowers.Count == 0)
                    throw new BuildException($"The command '{string.Join(' ', args)}' cannot run: the image has no layers yet (FROM scratch has no shell)");
                var env = (s.Config.Env ?? []).ToList();
                foreach (var (k, v) in buildArgs)
                    if (!env.Any(e => e.StartsWith(k + "=", StringComparison.Ordinal)))
                        env.Add($"{k}={v}"); // ENV wins over ARG
                var dir = Path.Combine(build.WorkDir, $"run-{_step}");
                try
                {
                    var (code, container) = await builder._runner.RunAsync(new BuildRunRequest(lowers, env, s.Config.WorkingDir, s.Config.User, args), dir, output, ct);
                    if (code != 0)
                    {
                        await output("(RUN steps have no network in this agent: only loopback is available)\n");
                        throw new BuildException($"The command '{string.Join(' ', args)}' returned a non-zero code: {code}");
                    }
                    // a RUN that changed nothing adds no layer (an empty_layer history entry, as BuildKit records it)
                    var upper = BuildContainer.UpperDir(dir);
                    var layer = Directory.EnumerateFileSystemEntries(upper).Any() ? upper : null;
                    var id = await Images.AddBuildStepAsync(s.ImageId, s.Config, layer, createdBy, s.Author, key, ct);
                    await output($"Removing intermediate container {container[..12]}\n");
                    return id;
                }
                finally
                {
                    RemoveWorkDir(dir);
                }
            });
        }

        private async Task WorkdirStepAsync(StageState s, string path, CancellationToken ct)
        {
            var abs = "/" + DockerIgnore.Clean(path.StartsWith('/') ? path : (s.Config.WorkingDir ?? "/") + "/" + path);
            if (abs == "/.")
                abs = "/";
            s.Config = s.Config with { WorkingDir = abs };
            var lowers = s.LowerDirs();
            if (abs == "/" || LowerLookup.Find(lowers, abs) is not null)
            {
                await ConfigStepAsync(s, "WORKDIR " + abs, s.Config, ct);
                return;
            }
            // the runtime needs the directory to exist, so a new one is a layer (as Docker creates it)
            var createdBy = "/bin/sh -c #(nop) WORKDIR " + abs;
            var key = BuildCacheKey.For(s.ImageId, createdBy + "\n" + s.Author);
            await CommitAsync(s, key, async () =>
            {
                var layer = Path.Combine(build.WorkDir, $"workdir-{_step}");
                try
                {
                    Directory.CreateDirectory(layer);
                    CopyPlan.EnsureDirectory(layer, lowers, abs, 0, 0);
                    return await Images.AddBuildStepAsync(s.ImageId, s.Config, layer, createdBy, s.Author, key, ct);
                }
                finally
                {
                    RemoveWorkDir(layer);
                }
            });
        }

        private async Task CopyStepAsync(StageState s, Stage stage, CopyInstruction copy, CancellationToken ct)
        {
            string X(string word) => Expand(word, copy.Line, s.Lookup);
            var keyword = copy.IsAdd ? "ADD" : "COPY";
            var sources = copy.Sources.Select(X).ToList();
            var destWord = X(copy.Destination);
            var isDir = destWord.EndsWith('/') || destWord == "." || destWord.EndsWith("/.", StringComparison.Ordinal);
            var dest = destWord.StartsWith('/') ? destWord : (s.Config.WorkingDir ?? "/").TrimEnd('/') + "/" + destWord;
            dest = "/" + DockerIgnore.Clean(dest);
            if (isDir && !dest.EndsWith('/'))
                dest += "/";
            var chown = copy.Chown is null ? null : X(copy.Chown);
            uint? chmod = null;
            if (copy.Chmod is not null)
            {
                var text = X(copy.Chmod);
                try
                {
                    chmod = Convert.ToUInt32(text, 8) is var m && m <= 0xFFF ? m : throw new FormatException();
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
                {
                    throw new FormatException($"invalid --chmod value \"{text}\": expected an octal mode such as 755");
                }
            }

            string? fromId = null;
            if (copy.From is not null)
                fromId = ResolveFrom(X(copy.From), stage);
            var mountDir = fromId is null ? null : Path.Combine(build.WorkDir, $"from-{_step}");
            try
            {
                var root = build.Context.Root;
                if (fromId is not null)
                {
                    var lowers = Images.LowerDirsFor(fromId);
                    var empty = Path.Combine(mountDir!, "empty");
                    root = Path.Combine(mountDir!, "root");
                    Directory.CreateDirectory(empty);
                    Directory.CreateDirectory(root);
                    // an empty bottom layer: overlayfs wants two lower dirs when there is no upper dir
                    RootfsMount.MountReadOnly([.. lowers, empty], root);
                }
                var plan = CopyPlan.Create(root, sources, dest, copy.IsAdd, keyword);
                var contentHash = BuildCacheKey.ContentHash(plan.SourcePaths);
                var createdBy = $"/bin/sh -c #(nop) {keyword} {contentHash[..19]} in {dest} ";
                var key = BuildCacheKey.For(s.ImageId,
                    $"{keyword} {Json(sources)} {dest} chown={chown} chmod={copy.Chmod} from={fromId}\n{s.Author}", null, contentHash);
                await CommitAsync(s, key, async () =>
                {
                    var lowers = s.LowerDirs();
                    (int, int)? owner = chown is null ? null
                        : ChownSpec.Resolve(chown, LowerLookup.ReadText(lowers, "/etc/passwd"), LowerLookup.ReadText(lowers, "/etc/group"));
                    var layer = Path.Combine(build.WorkDir, $"copy-{_step}");
                    try
                    {
                        Directory.CreateDirectory(layer);
                        await plan.ApplyAsync(layer, lowers, owner, chmod, ct);
                        return await Images.AddBuildStepAsync(s.ImageId, s.Config, layer, createdBy, s.Author, key, ct);
                    }
                    finally
                    {
                        RemoveWorkDir(layer);
                    }
                });
            }
            finally
            {
                if (mountDir is not null)
                {
                    RootfsMount.Unmount(Path.Combine(mountDir, "root"));
                    RemoveWorkDir(mountDir);
                }
            }
        }

        /// <summary>COPY --from: an earlier stage by name or index, else a stored image.</summary>
        private string ResolveFrom(string from, Stage current)
        {
            foreach (var previous in _file.Stages.Take(current.Index))
            {
                if (string.Equals(previous.From.StageName, from, StringComparison.OrdinalIgnoreCase)
                    || previous.Index.ToString(CultureInfo.InvariantCulture) == from)
                    return _stageImages[previous.Index] ?? throw new BuildException($"COPY --from={from}: that stage has no files (FROM scratch with no layers)");
            }
            if (int.TryParse(from, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new BuildException($"COPY --from={from}: invalid from flag value {from}: stage index must refer to an earlier stage");
            return Images.Resolve(from) ?? throw new BuildException(
                $"COPY --from={from}: no stage or image named {from} (this agent does not pull images)");
        }

        private string Expand(string word, int line, Func<string, string?> lookup)
        {
            try
            {
                return ShellWords.Expand(word, lookup, _file.Escape);
            }
            catch (FormatException e)
            {
                throw new DockerfileException($"{_file.FileName}:{line}: {e.Message}");
            }
        }
    }

    /// <summary>The stage being built: its current image and config, the ARGs declared in it.</summary>
    private sealed class StageState(ImageStore images)
    {
        public string? ImageId { get; set; }
        public OciConfig Config { get; set; } = new();
        public string? Author { get; set; }
        public Dictionary<string, string?> Args { get; } = new(StringComparer.Ordinal);
        public bool CmdSet { get; set; }
        public IReadOnlyList<string> Shell => Config.Shell ?? DefaultShell;

        public IReadOnlyList<string> LowerDirs() => ImageId is null ? [] : images.LowerDirsFor(ImageId);

        /// <summary>ENV wins over ARG, as Docker documents.</summary>
        public string? Lookup(string name)
        {
            var env = Config.Env ?? [];
            for (var i = env.Count - 1; i >= 0; i--)
                if (env[i].StartsWith(name + "=", StringComparison.Ordinal))
                    return env[i][(name.Length + 1)..];
            return Args.GetValueOrDefault(name);
        }
    }

    private static string Short(string id) => id.StartsWith("sha256:", StringComparison.Ordinal) ? id[7..19] : id[..12];

    private static string Json(IReadOnlyList<string> args) =>
        System.Text.Json.JsonSerializer.Serialize(args.ToArray(), BuildJsonContext.Default.StringArray);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class BuildJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
