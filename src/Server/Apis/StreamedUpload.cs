using Microsoft.AspNetCore.Http.Metadata;

namespace ContainerConsole.Server.Apis;

/// <summary>
/// Marks an endpoint whose body is streamed on to an agent as it arrives (an image archive, a build context): no body
/// limit, since nothing is buffered. Routing applies it to Kestrel; <see cref="Hosting.RequestBodyLimit"/> leaves it alone.
/// </summary>
internal sealed class StreamedUpload : IRequestSizeLimitMetadata
{
    public static readonly StreamedUpload Instance = new();

    public long? MaxRequestBodySize => null;
}
