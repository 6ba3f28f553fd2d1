using Marten;

namespace PositionLedger.Infrastructure;

/// <summary>
/// Who appended what, and why: every event carries the credential's name (Marten's user name), the
/// request's correlation id and, when given, its idempotency key (an event header).
/// </summary>
public static class Audit
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string IdempotencyKeyHeader = "idempotency-key";
    private const string CorrelationItem = "correlation-id";

    /// <summary>ASP.NET middleware: take the caller's correlation id or make one, and return it.</summary>
    public static async Task CorrelateAsync(HttpContext context, RequestDelegate next)
    {
        var id = context.Request.Headers[CorrelationHeader].ToString();
        if (id.Length is 0 or > 128 || id.Any(char.IsControl)) id = Guid.NewGuid().ToString("N");
        context.Items[CorrelationItem] = id;
        context.Response.Headers[CorrelationHeader] = id;
        await next(context);
    }

    public static string? CorrelationId(this HttpContext context) => context.Items[CorrelationItem] as string;

    /// <summary>Wolverine middleware on every write: stamps the session the endpoint appends through.</summary>
    public static void Before(HttpContext context, IDocumentSession session)
    {
        session.LastModifiedBy = context.User.Identity?.Name;
        session.CorrelationId = context.CorrelationId();
        var key = context.Request.Headers[Idempotency.Header].ToString();
        if (key.Length > 0) session.SetHeader(IdempotencyKeyHeader, key);
    }
}
