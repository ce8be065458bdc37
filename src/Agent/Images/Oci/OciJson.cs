using System.Text.Json;
using System.Text.Json.Serialization;

namespace ContainerConsole.Images.Oci;

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, AllowTrailingCommas = true,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(Descriptor))]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(ImageIndex))]
[JsonSerializable(typeof(ImageConfig))]
[JsonSerializable(typeof(OciLayoutFile))]
[JsonSerializable(typeof(List<DockerArchiveManifestEntry>))]
public sealed partial class OciJsonContext : JsonSerializerContext;

/// <summary>Parses image JSON, turning malformed input into <see cref="ImageFormatException"/> naming what was parsed.</summary>
public static class OciJson
{
    public static ImageManifest ParseManifest(ReadOnlySpan<byte> json, string what) => Parse(json, OciJsonContext.Default.ImageManifest, what);

    public static ImageIndex ParseIndex(ReadOnlySpan<byte> json, string what) => Parse(json, OciJsonContext.Default.ImageIndex, what);

    public static ImageConfig ParseConfig(ReadOnlySpan<byte> json, string what) => Parse(json, OciJsonContext.Default.ImageConfig, what);

    public static List<DockerArchiveManifestEntry> ParseDockerArchiveManifest(ReadOnlySpan<byte> json, string what) =>
        Parse(json, OciJsonContext.Default.ListDockerArchiveManifestEntry, what);

    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.SerializeToUtf8Bytes(value, info);

    private static T Parse<T>(ReadOnlySpan<byte> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, info) ?? throw new ImageFormatException($"{what}: empty JSON document");
        }
        catch (JsonException e)
        {
            throw new ImageFormatException($"{what}: malformed JSON: {e.Message}");
        }
    }
}
