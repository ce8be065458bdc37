using ContainerConsole.Server.Auth;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ContainerConsole.Server.Hosting;

/// <summary>
/// Bounds API request bodies at <see cref="ServerOptions.MaxRequestBodyBytes"/>: a declared length over the
/// limit is refused at once (413 ProblemDetails naming the limit); a chunked body is cut off at the limit.
/// </summary>
internal sealed class RequestBodyLimit(RequestDelegate next, IOptions<ServerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!AuthProblems.IsApiRequest(context.Request))
        {
            await next(context);
            return;
        }

        // Uploads streamed on to an agent (image load, build context) declare their own limit, as ASP.NET Core's metadata does.
        if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>() is not null)
        {
            await next(context);
            return;
        }

        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "Request body too large",
                    Detail = $"The request body has {context.Request.ContentLength} bytes; the API accepts at most {limit}.",
                },
            });
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        await next(context);
    }
}
