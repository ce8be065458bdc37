using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Server.Hosting;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Users;

/// <summary>
/// Users in <c>DATA_DIR/users.json</c> (mode 0600), rewritten atomically on every change. The file is
/// read again when it changed on disk, so an edit by hand is picked up.
/// </summary>
public sealed class JsonFileUserStore : IUserStore, IDisposable
{
    private const int FormatVersion = 1;

    private readonly string _path;
    private readonly ILogger<JsonFileUserStore> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private List<UserRecord>? _users;
    private DateTime _loadedWriteTime;

    public JsonFileUserStore(IOptions<ServerOptions> options, ILogger<JsonFileUserStore> logger)
    {
        _path = options.Value.UsersFile;
        _logger = logger;
    }

    public async Task<UserRecord?> FindByNameAsync(string userName, CancellationToken cancellationToken)
    {
        var users = await SnapshotAsync(cancellationToken);
        return users.FirstOrDefault(u => string.Equals(u.UserName, userName, StringComparison.OrdinalIgnoreCase));
    }

    public async Task<UserRecord?> FindByIdAsync(string id, CancellationToken cancellationToken)
    {
        var users = await SnapshotAsync(cancellationToken);
        return users.FirstOrDefault(u => u.Id == id);
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken) =>
        (await SnapshotAsync(cancellationToken)).Count;

    public async Task CreateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var users = await LoadLockedAsync(cancellationToken);
            if (users.Any(u => u.Id == user.Id || string.Equals(u.UserName, user.UserName, StringComparison.OrdinalIgnoreCase)))
            {
                throw new InvalidOperationException($"User '{user.UserName}' exists.");
            }

            await SaveLockedAsync([.. users, user], cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpdateAsync(UserRecord user, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var users = await LoadLockedAsync(cancellationToken);
            var index = users.FindIndex(u => u.Id == user.Id);
            if (index < 0)
            {
                throw new KeyNotFoundException($"No user has id '{user.Id}'.");
            }

            var updated = new List<UserRecord>(users) { [index] = user };
            await SaveLockedAsync(updated, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<List<UserRecord>> SnapshotAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await LoadLockedAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The current list (never mutated in place: writers replace it).</summary>
    private async Task<List<UserRecord>> LoadLockedAsync(CancellationToken cancellationToken)
    {
        var info = new FileInfo(_path);
        if (!info.Exists)
        {
            return _users ??= [];
        }

        if (_users is not null && info.LastWriteTimeUtc == _loadedWriteTime)
        {
            return _users;
        }

        await using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.Asynchronous);
        var file = await JsonSerializer.DeserializeAsync(stream, UserFileJsonContext.Default.UsersFile, cancellationToken)
            ?? throw new InvalidDataException($"{_path} is empty.");
        if (file.Version != FormatVersion)
        {
            throw new InvalidDataException($"{_path} has format version {file.Version}; this server reads version {FormatVersion}.");
        }

        _users = file.Users;
        _loadedWriteTime = info.LastWriteTimeUtc;
        _logger.LogDebug("Loaded {Count} users from {Path}", _users.Count, _path);
        return _users;
    }

    private async Task SaveLockedAsync(List<UserRecord> users, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(_path)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(new UsersFile(FormatVersion, users), UserFileJsonContext.Default.UsersFile);
        await AtomicFile.WriteAllBytesAsync(_path, bytes, cancellationToken);
        _users = users;
        _loadedWriteTime = File.GetLastWriteTimeUtc(_path);
    }
}

internal sealed record UsersFile(int Version, List<UserRecord> Users);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(UsersFile))]
internal sealed partial class UserFileJsonContext : JsonSerializerContext;
