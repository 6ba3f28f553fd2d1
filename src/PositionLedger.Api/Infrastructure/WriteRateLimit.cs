using System.Globalization;
using System.Threading.RateLimiting;

namespace PositionLedger.Infrastructure;

/// <summary>Writes are rate limited per API key (a token bucket); a refused write gets 429 with Retry-After.</summary>
public static class WriteRateLimit
{
    public const string Policy = "writes";

    public static IServiceCollection AddWriteRateLimit(this IServiceCollection services, IConfiguration configuration) =>
        services.AddRateLimiter(limits =>
        {
            var perSecond = configuration.GetValue("RateLimits:WritesPerSecond", 100);
            var burst = configuration.GetValue("RateLimits:WriteBurst", 200);
            limits.AddPolicy(Policy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.Identity?.Name ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = burst,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                }));
            limits.OnRejected = async (rejected, ct) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                    : 1;
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                rejected.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await rejected.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = rejected.HttpContext,
                    ProblemDetails = { Status = 429, Detail = $"Too many writes for this API key; retry after {retryAfter} s." },
                });
            };
        });
}
