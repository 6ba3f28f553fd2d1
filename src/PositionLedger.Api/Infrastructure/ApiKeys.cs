using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
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

    /// <summary>Wrong keys one client address may present per minute before it is answered 429.</summary>
    public int FailedKeysPerMinute { get; set; } = 30;

    /// <summary>A key shorter than this could be guessed; the app refuses to start with one.</summary>
    public const int MinKeyLength = 32;
}

/// <summary>Refuses, at start-up and by name, a configured key that is too short or a role that does not exist.</summary>
public sealed class AuthSettingsCheck : IValidateOptions<AuthSettings>
{
    public ValidateOptionsResult Validate(string? name, AuthSettings settings)
    {
        var failures = new List<string>();
        for (var i = 0; i < settings.ApiKeys.Count; i++)
        {
            var key = settings.ApiKeys[i];
            var which = $"Auth:ApiKeys:{i} ('{key.Name}')";
            if (key.Key.Length < AuthSettings.MinKeyLength)
                failures.Add($"{which}: the key has {key.Key.Length} characters; use at least {AuthSettings.MinKeyLength} random ones.");
            if (key.Role is not (Roles.Editor or Roles.Verifier or Roles.Reader))
                failures.Add($"{which}: the role '{key.Role}' is not one of {Roles.Editor}, {Roles.Verifier}, {Roles.Reader}.");
            if (key.Name.Length == 0) failures.Add($"{which}: the key needs a name (it is recorded on every event it appends).");
        }
        if (settings.FailedKeysPerMinute < 1) failures.Add("Auth:FailedKeysPerMinute must be 1 or more.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// Wrong keys are limited per client address (a token bucket refilled each minute), so keys cannot be
/// guessed at the rate the server answers. Requests with a valid key, or none, are never counted.
/// </summary>
public sealed class FailedKeyLimiter(IOptions<AuthSettings> settings) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Value.FailedKeysPerMinute,
            TokensPerPeriod = settings.Value.FailedKeysPerMinute,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>ASP.NET middleware, after authentication: a presented key that was not accepted costs a token.</summary>
    public async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Headers.Authorization.Count > 0 && context.User.Identity?.IsAuthenticated != true)
        {
            using var lease = _limiter.AttemptAcquire(context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            if (!lease.IsAcquired)
            {
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = "60";
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = { Status = 429, Detail = "Too many wrong API keys from this address; retry after 60 s." },
                });
                return;
            }
        }
        await next(context);
    }

    public void Dispose() => _limiter.Dispose();
}

public static class Roles
{
    public const string Editor = "editor";

    /// <summary>An editor who may also approve or reject others' proposals (under review).</summary>
    public const string Verifier = "verifier";
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
        await WriteProblem("This API key's role may not do this: writes need an editor key, decisions on proposals a verifier's, "
            + "and the review queue an editor's or a verifier's.");
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
        services.AddOptions<AuthSettings>().Bind(configuration.GetSection(AuthSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthSettings>, AuthSettingsCheck>();
        services.AddSingleton<FailedKeyLimiter>();
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Editor, policy => policy.RequireRole(Roles.Editor, Roles.Verifier))
            .AddPolicy(Roles.Verifier, policy => policy.RequireRole(Roles.Verifier))
            .AddPolicy(Roles.Reader, policy => policy.RequireRole(Roles.Reader, Roles.Editor, Roles.Verifier));
        return services;
    }
}
