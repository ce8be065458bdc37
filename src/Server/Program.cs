using ContainerConsole.Server.Apis;
using ContainerConsole.Server.WebConsole;
using ContainerConsole.Server.Hosting;
using ContainerConsole.Server.Hubs;
using ContainerConsole.Web;
using ContainerConsole.Web.Account;
using ContainerConsole.Web.Components;
using Scalar.AspNetCore;

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
builder.Services.AddConsoleServices();
builder.Services.AddLiveStreamsAndMetrics(builder.Configuration);

var app = builder.Build();
if (!app.ValidateServerOptions(Console.Error) || !await app.MigrateDatabaseAsync(Console.Error))
{
    return 2;
}

app.UseContainerConsolePipeline();

// Every endpoint needs a signed-in user unless it says otherwise (fallback policy): these say otherwise.
app.MapOpenApi().AllowAnonymous();
// The browsable reference of that document (Scalar serves its page and script from the package: no CDN needed).
app.MapScalarApiReference("/api/reference", options => options.WithTitle("ContainerConsole API")).AllowAnonymous();
app.MapStaticAssets().AllowAnonymous();

app.MapAuthApi();
app.MapUserApi();
app.MapTokenApi();
app.MapHostApi();
app.MapContainerApi();
app.MapHostContainerApi();
app.MapImageApi();
app.MapVolumeApi();
app.MapNetworkApi();
app.MapAuditApi();
app.MapLiveStreamsAndMetrics();

app.MapConsoleAccountEndpoints();
app.MapConsoleEndpoints();
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode();

await app.RunAsync();
return 0;

public partial class Program;
