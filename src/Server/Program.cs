using ContainerConsole.Server.Apis;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Web;
using ContainerConsole.Web.Account;
using ContainerConsole.Web.Components;

if (CommandLine.IsHelp(args))
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

if (!CommandLine.TryNormalize(args, out var settings, out var error))
{
    Console.Error.WriteLine($"ccserver: {error}");
    Console.Error.WriteLine(CommandLine.Usage);
    return 2;
}

var builder = WebApplication.CreateBuilder(settings);

builder.AddContainerConsoleServer();
builder.Services.AddContainerConsoleWeb();

var app = builder.Build();
if (!app.ValidateServerOptions(Console.Error))
{
    return 2;
}

app.UseExceptionHandler();
app.UseWhen(context => context.Request.Path.StartsWithSegments("/api"), api => api.UseStatusCodePages());
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapOpenApi();
app.MapAuthApi();
app.MapHostApi();
app.MapContainerApi();

app.MapStaticAssets();
app.MapConsoleAccountEndpoints();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

await app.RunAsync();
return 0;

public partial class Program;
