using System.ComponentModel.DataAnnotations;
using ContainerConsole.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http;

namespace ContainerConsole.Web.Components.Pages;

/// <summary>
/// Sign-in page. Rendered statically (no circuit) so that the form post can set the session cookie;
/// the form carries an antiforgery token that the server checks.
/// </summary>
public partial class Login
{
    private const string DefaultReturnUrl = "dashboard";

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [Inject]
    private IConsoleSignIn SignIn { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [SupplyParameterFromForm]
    private LoginInput Input { get; set; } = default!;

    [SupplyParameterFromQuery(Name = "ReturnUrl")]
    private string? ReturnUrl { get; set; }

    private string? ErrorMessage { get; set; }

    protected override void OnInitialized()
    {
        Input ??= new LoginInput();
    }

    private async Task SignInAsync()
    {
        var outcome = await SignIn.PasswordSignInAsync(HttpContext, Input.UserName, Input.Password, HttpContext.RequestAborted);
        switch (outcome.Status)
        {
            case LoginStatus.Succeeded:
                Navigation.NavigateTo(SafeReturnUrl(ReturnUrl));
                break;
            case LoginStatus.LockedOut:
                ErrorMessage = outcome.LockedUntil is { } until
                    ? $"Too many failed attempts. Try again after {until.ToLocalTime():HH:mm:ss}."
                    : "Too many failed attempts. Try again later.";
                break;
            case LoginStatus.Disabled:
                ErrorMessage = "This user is disabled. Ask an admin to enable it.";
                break;
            default:
                ErrorMessage = "Invalid user name or password.";
                break;
        }
    }

    /// <summary>Only a path on this site may be a redirect target (no open redirect).</summary>
    internal static string SafeReturnUrl(string? returnUrl)
    {
        if (string.IsNullOrEmpty(returnUrl)
            || !returnUrl.StartsWith('/')
            || returnUrl.StartsWith("//", StringComparison.Ordinal)
            || returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            || returnUrl.StartsWith("/login", StringComparison.OrdinalIgnoreCase)
            || !Uri.IsWellFormedUriString(returnUrl, UriKind.Relative))
        {
            return DefaultReturnUrl;
        }

        return returnUrl.TrimStart('/');
    }

    private sealed class LoginInput
    {
        [Required(ErrorMessage = "Enter your user name.")]
        [StringLength(256)]
        public string UserName { get; set; } = "";

        [Required(ErrorMessage = "Enter your password.")]
        [StringLength(1024)]
        public string Password { get; set; } = "";
    }
}
