namespace ContainerConsole.Agent.Api;

/// <summary>
/// Networks come with a later issue. Until then their endpoints answer with what is missing, not with the
/// docker CLI's "check if the server supports the requested API version" that a bare 404 produces.
/// </summary>
public static class NotYetApi
{
    public static IEndpointRouteBuilder MapNotYetApi(this IEndpointRouteBuilder app)
    {
        foreach (var (prefix, what) in new[] { ("/networks", "networks") })
        {
            app.MapMethods(prefix, ["GET", "POST", "DELETE"], () => NotSupported(what));
            app.MapMethods(prefix + "/{**rest}", ["GET", "POST", "DELETE"], () => NotSupported(what));
        }
        return app;
    }

    private static IResult NotSupported(string what) =>
        Results.Json(new { message = $"{what} are not supported by this agent yet" }, statusCode: 501);
}
