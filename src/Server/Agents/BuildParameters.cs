using System.Text;
using System.Text.Json;
using ContainerConsole.Server.Containers;

namespace ContainerConsole.Server.Agents;

/// <summary>
/// The options of a Dockerfile build as the agent's <c>POST /build</c> takes them. Shared by the REST build and the
/// progress hub, so both check and pass on the same things.
/// </summary>
/// <param name="Tags">Tags for the result (Docker's <c>t</c>).</param>
/// <param name="Dockerfile">Path of the Dockerfile inside the context (default <c>Dockerfile</c>).</param>
/// <param name="BuildArgs">Build arguments.</param>
/// <param name="Labels">Labels for the result.</param>
/// <param name="Target">Stage to build.</param>
/// <param name="NoCache">Build every step again.</param>
/// <param name="Pull">Pull base images again.</param>
public sealed record BuildParameters(
    IReadOnlyList<string>? Tags = null,
    string? Dockerfile = null,
    IReadOnlyDictionary<string, string?>? BuildArgs = null,
    IReadOnlyDictionary<string, string?>? Labels = null,
    string? Target = null,
    bool NoCache = false,
    bool Pull = false)
{
    /// <summary>What is wrong, by Docker's query name (<c>t</c>, <c>dockerfile</c>); empty when nothing is.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if ((Tags ?? []).FirstOrDefault(t => !ContainerSpecs.IsImageReference(t)) is { } badTag)
        {
            errors["t"] = [$"'{badTag}' is not an image reference."];
        }

        if (Dockerfile is not null && (Dockerfile.Length == 0 || Dockerfile.StartsWith('/') || Dockerfile.Split('/').Contains("..")))
        {
            errors["dockerfile"] = ["A relative path inside the context is required."];
        }

        return errors;
    }

    /// <summary>The query string of <c>POST /build</c>, starting with <c>?</c>.</summary>
    public string ToQuery()
    {
        var query = new StringBuilder("?rm=1");
        void Add(string key, string? value)
        {
            if (value is not null)
            {
                query.Append('&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        Add("dockerfile", Dockerfile);
        foreach (var tag in Tags ?? [])
        {
            Add("t", tag);
        }

        Add("buildargs", Map(BuildArgs));
        Add("labels", Map(Labels));
        Add("target", Target);
        Add("nocache", NoCache ? "1" : null);
        Add("pull", Pull ? "1" : null);
        return query.ToString();
    }

    private static string? Map(IReadOnlyDictionary<string, string?>? map) =>
        map is null ? null : JsonSerializer.Serialize(map, DockerJsonContext.Default.IReadOnlyDictionaryStringString);
}
