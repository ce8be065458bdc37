using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ContainerConsole.Images.Store;
using ContainerConsole.Runtime.State;

namespace ContainerConsole.Images.Registry;

/// <summary>Credentials for one registry: a user name and password, or an identity (refresh) token.</summary>
public sealed record RegistryCredentials
{
    [JsonPropertyName("username")] public string? Username { get; init; }
    [JsonPropertyName("password")] public string? Password { get; init; }
    [JsonPropertyName("serveraddress")] public string? ServerAddress { get; init; }
    [JsonPropertyName("identitytoken")] public string? IdentityToken { get; init; }

    [JsonIgnore] public bool IsEmpty => string.IsNullOrEmpty(Username) && string.IsNullOrEmpty(IdentityToken);

    /// <summary>
    /// Decodes Docker's X-Registry-Auth header: base64url (padding optional; plain base64 accepted too) of a JSON
    /// AuthConfig. Returns null for an absent header or one without credentials (the CLI sends "{}" for anonymous pulls).
    /// </summary>
    public static RegistryCredentials? FromHeader(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        byte[] json;
        try
        {
            var b64 = header.Trim().Replace('-', '+').Replace('_', '/');
            json = Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
        }
        catch (FormatException)
        {
            throw new ArgumentException("X-Registry-Auth: not base64url-encoded JSON");
        }

        RegistryCredentials? creds;
        try
        {
            creds = JsonSerializer.Deserialize(json, RegistryJsonContext.Default.RegistryCredentials);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"X-Registry-Auth: malformed JSON: {e.Message}");
        }

        return creds is null || creds.IsEmpty ? null : creds;
    }

    /// <summary>The body of POST /auth: an AuthConfig JSON document.</summary>
    public static async Task<RegistryCredentials?> FromJsonAsync(Stream json, CancellationToken ct)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(json, RegistryJsonContext.Default.RegistryCredentials, ct);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"malformed JSON body: {e.Message}");
        }
    }

    /// <summary>"Basic base64(user:password)".</summary>
    public string BasicHeaderValue() => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));

    /// <summary>
    /// The key credentials are stored under: a registry host[:port], with docker.io for Docker Hub's many spellings
    /// (https://index.docker.io/v1/, registry-1.docker.io).
    /// </summary>
    public static string NormalizeServer(string? serverAddress)
    {
        var s = (serverAddress ?? "").Trim();
        if (s.Length == 0)
        {
            return ImageReference.DefaultDomain;
        }

        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            s = s[(scheme + 3)..];
        }

        var slash = s.IndexOf('/');
        if (slash >= 0)
        {
            s = s[..slash];
        }

        s = s.ToLowerInvariant();
        return s is "index.docker.io" or "registry-1.docker.io" or "registry.hub.docker.com" ? ImageReference.DefaultDomain : s;
    }
}

/// <summary>
/// Credentials saved by <c>docker login</c> through the agent: one JSON file (mode 0600, written atomically) keyed by
/// registry host, used when a request carries no X-Registry-Auth.
/// </summary>
public sealed class CredentialStore
{
    private readonly Lock _lock = new();
    private readonly string _file;

    public CredentialStore(string file)
    {
        _file = Path.GetFullPath(file);
        Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
    }

    public RegistryCredentials? Get(string server)
    {
        lock (_lock)
        {
            return Load().GetValueOrDefault(RegistryCredentials.NormalizeServer(server));
        }
    }

    public void Save(string server, RegistryCredentials credentials)
    {
        var key = RegistryCredentials.NormalizeServer(server);
        lock (_lock)
        {
            var all = Load();
            all[key] = credentials with { ServerAddress = key };
            Persist(all);
        }
    }

    /// <summary>Forgets a registry's credentials; false when none were stored.</summary>
    public bool Remove(string server)
    {
        var key = RegistryCredentials.NormalizeServer(server);
        lock (_lock)
        {
            var all = Load();
            if (!all.Remove(key))
            {
                return false;
            }

            Persist(all);
            return true;
        }
    }

    private SortedDictionary<string, RegistryCredentials> Load()
    {
        if (!File.Exists(_file))
        {
            return new SortedDictionary<string, RegistryCredentials>(StringComparer.Ordinal);
        }

        try
        {
            var doc = JsonSerializer.Deserialize(File.ReadAllBytes(_file), RegistryJsonContext.Default.CredentialFile);
            return new SortedDictionary<string, RegistryCredentials>(doc?.Auths ?? new Dictionary<string, RegistryCredentials>(), StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{_file}: malformed credential store: {e.Message}");
        }
    }

    private void Persist(SortedDictionary<string, RegistryCredentials> all) =>
        AtomicFile.Write(_file, JsonSerializer.SerializeToUtf8Bytes(new CredentialFile { Auths = all }, RegistryJsonContext.Default.CredentialFile),
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
}

internal sealed class CredentialFile
{
    [JsonPropertyName("auths")] public IDictionary<string, RegistryCredentials> Auths { get; init; } = new Dictionary<string, RegistryCredentials>();
}

/// <summary>A token endpoint's answer: "token" or (OAuth2) "access_token".</summary>
internal sealed class TokenResponse
{
    [JsonPropertyName("token")] public string? Token { get; init; }
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
    [JsonPropertyName("expires_in")] public int? ExpiresIn { get; init; }
}

/// <summary>The distribution spec's error body: {"errors":[{"code","message","detail"}]}.</summary>
internal sealed class DistributionErrors
{
    [JsonPropertyName("errors")] public List<DistributionError>? Errors { get; init; }
}

internal sealed class DistributionError
{
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(RegistryCredentials))]
[JsonSerializable(typeof(CredentialFile))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(DistributionErrors))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
