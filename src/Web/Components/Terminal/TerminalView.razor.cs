using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace ContainerConsole.Web.Components.Terminal;

/// <summary>
/// The terminal tab. The browser talks to <c>/hubs/terminal</c> itself (SignalR JS client, session cookie): the hub
/// already checks the operator role, opens the exec with a TTY, resizes and audits the opening, and keystrokes go one
/// hop browser → server → agent instead of also crossing the Blazor circuit and JS interop twice. This component only
/// starts and stops the session and shows its state.
/// </summary>
public partial class TerminalView : IAsyncDisposable
{
    private ElementReference _element;
    private IJSObjectReference? _module;
    private IJSObjectReference? _session;
    private DotNetObjectReference<TerminalView>? _self;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Parameter, EditorRequired]
    public string Host { get; set; } = "";

    [Parameter, EditorRequired]
    public string ContainerId { get; set; } = "";

    [Parameter]
    public string ContainerName { get; set; } = "";

    /// <summary>connecting, open, closed or error.</summary>
    internal string State { get; private set; } = "connecting";

    internal string? Error { get; private set; }

    private string StatusText => State switch
    {
        "open" => "Connected: /bin/sh",
        "closed" => "The shell ended.",
        "error" => "Not connected.",
        _ => "Connecting…",
    };

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender)
        {
            await OpenAsync();
        }
    }

    private async Task OpenAsync()
    {
        State = "connecting";
        Error = null;
        try
        {
            _self ??= DotNetObjectReference.Create(this);
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./_content/ContainerConsole.Web/terminal.js");
            _session = await _module.InvokeAsync<IJSObjectReference>("open", _element, Host, ContainerId, _self);
        }
        catch (JSException ex)
        {
            Status("error", ex.Message);
        }
        catch (Exception ex) when (ex is JSDisconnectedException or TaskCanceledException or ObjectDisposedException)
        {
            // The page is going away.
        }
    }

    /// <summary>Called by terminal.js when the session opens, ends or fails.</summary>
    [JSInvokable]
    public void Status(string state, string message)
    {
        State = state;
        Error = state == "error" ? message : null;
        _ = InvokeAsync(StateHasChanged);
    }

    private async Task CopyAsync()
    {
        if (_module is not null && _session is not null)
        {
            await _module.InvokeVoidAsync("copy", _session);
        }
    }

    private async Task PasteAsync()
    {
        if (_module is not null && _session is not null)
        {
            await _module.InvokeVoidAsync("paste", _session);
        }
    }

    private async Task ReconnectAsync()
    {
        await CloseAsync();
        await OpenAsync();
    }

    private async Task CloseAsync()
    {
        if (_module is not null && _session is not null)
        {
            try
            {
                await _module.InvokeVoidAsync("close", _session);
                await _session.DisposeAsync();
            }
            catch (Exception ex) when (ex is JSDisconnectedException or JSException or TaskCanceledException or ObjectDisposedException)
            {
                // The circuit is gone; the browser dropped the connection with the page.
            }

            _session = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }

        _self?.Dispose();
        GC.SuppressFinalize(this);
    }
}
