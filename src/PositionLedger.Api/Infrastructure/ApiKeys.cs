using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace PositionLedger.Infrastructure;

/// <summary>One credential of the <c>Auth:ApiKeys</c> section.</summary>
public sealed class ApiKey
{
    public string Key { get; set; } = "";
    public string Name { get; set; } = "";
    public string Role { get; set; } = "";
}

public sealed class AuthSettings
{
    public const string Section = "Auth";

    public List<ApiKey> ApiKeys { get; set; } = [];

    /// <summary>Reads are anonymous unless this is set; then they need a reader (or editor) key.</summary>
    public bool RequireReaderForReads { get; set; }
}

public static class Roles
{
    public const string Editor = "editor";
    public const string Reader = "reader";
}

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c> against the configured keys. Keys are compared by their
/// SHA-256 in constant time, so response timing says nothing about a key's prefix.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AuthSettings> settings,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <key>'."));

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        var match = settings.CurrentValue.ApiKeys.FirstOrDefault(k =>
            k.Key.Length > 0 && CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(k.Key))));
        if (match is null) return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, match.Name), new Claim(ClaimTypes.Role, match.Role)], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await WriteProblem("An API key is required: send 'Authorization: Bearer <key>'.");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await WriteProblem("This API key's role may not do this: writes need an editor key.");
    }

    private async Task WriteProblem(string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = Response.StatusCode, Detail = detail },
        });
}

public static class ApiKeyRegistration
{
    public static IServiceCollection AddApiKeys(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuthSettings>(configuration.GetSection(AuthSettings.Section));
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Editor, policy => policy.RequireRole(Roles.Editor))
            .AddPolicy(Roles.Reader, policy => policy.RequireRole(Roles.Reader, Roles.Editor));
        return services;
    }
}
