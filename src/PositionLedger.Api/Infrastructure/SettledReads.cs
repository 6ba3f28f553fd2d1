using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace PositionLedger.Infrastructure;

/// <summary>
/// HTTP caching for the reads whose answer is fixed by (asOf, knownAt): stance, stances (JSON and CSV), changes,
/// timeline, claims made, flips, convergence and the issue series.
/// <para>
/// A knownAt is <b>settled</b> once no event that can still commit can carry a record time at or before it. An
/// event's record time is taken while its transaction is open, so it is no earlier than that transaction's start
/// (on the database's clock) less the skew between the nodes' clocks and the database's. The settled point is
/// therefore the earlier of the database's now and the start of the oldest open transaction of the ledger's own
/// connections, less <c>Reads:ClockSkewSeconds</c>. The answer for a settled knownAt never changes: it is served
/// <c>immutable</c>, with a strong ETag made from the URL and the build, so a conditional request is a 304 without
/// running the query.
/// </para>
/// <para>
/// Any other answer gets a short <c>max-age</c> (<c>Reads:CacheSeconds</c>) and a weak ETag made from the URL, the
/// highest committed event sequence and the ledger's open transactions (each by its process and start). Read before
/// the answer, that is enough to know the ledger did not change: a transaction that commits events either was open
/// then (and is gone from the list now) or began later (and took a higher sequence). So If-None-Match is answered
/// 304 from that one look-up. An omitted
/// knownAt is pinned to now before the query runs, and <c>Content-Location</c> names the pinned URL that gives the
/// same answer (and becomes immutable once settled).
/// </para>
/// </summary>
public sealed partial class SettledReads(
    NpgsqlDataSource db, Marten.IDocumentStore store, ReadReplica replica, TimeProvider clock, IOptions<AuthSettings> auth,
    IConfiguration configuration)
{
    public const string CacheSecondsSetting = "Reads:CacheSeconds";
    public const string ClockSkewSetting = "Reads:ClockSkewSeconds";

    [GeneratedRegex(@"^/api/(stances(\.csv)?|timeline|parties/[^/]+/(stance|changes|claims-made|flips)|issues/[^/]+/(convergence|series))\z")]
    private static partial Regex KnownAtRoutes();

    /// <summary>Whether a GET of this path (or route template) is answered with these caching headers.</summary>
    public static bool Caches(string path) => KnownAtRoutes().IsMatch(path);

    private static readonly string Build = typeof(SettledReads).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    private readonly int _cacheSeconds = configuration.GetValue(CacheSecondsSetting, 5);
    private readonly TimeSpan _skew = TimeSpan.FromSeconds(configuration.GetValue(ClockSkewSetting, 1.0));
    private readonly string _scope = auth.Value.RequireReaderForReads ? "private" : "public";
    private readonly string _events = $"{store.Options.Events.DatabaseSchemaName}.mt_events";

    public async Task GuardAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        // A preview of pending proposals (view=pending) is neither cached nor answered by a replica.
        if (!HttpMethods.IsGet(request.Method) || !KnownAtRoutes().IsMatch(request.Path.Value ?? "")
            || request.Query["knownAt"].Count > 1 || request.Query.ContainsKey("view") && request.Query["view"] != "published")
        {
            await next();
            return;
        }
        var given = request.Query["knownAt"].SingleOrDefault();
        DateTimeOffset? asked = null;
        if (given is not null)
        {
            if (!Instants.TryParseUpperBound(given, out var parsed))
            {
                await next(); // the endpoint names the bad value
                return;
            }
            asked = parsed;
        }

        var settledEtag = $"\"{Hash("settled", Build, request.Path + request.QueryString)}\"";
        var immutable = $"{_scope}, max-age=31536000, immutable";
        var brief = $"{_scope}, max-age={_cacheSeconds}";
        string etag;
        string cacheControl;
        DateTimeOffset? pinTo = null;
        if (await replica.SettledPointAsync(context.RequestAborted) is { } replicated
            && (asked is null ? replica.Fresh(replicated) : asked <= replicated))
        {
            // Settled on the replica, so settled everywhere: the replica answers, and the primary is not asked.
            ReadReplica.Answers(context, replicated);
            pinTo = asked is null ? replicated : null;
            (etag, cacheControl) = pinTo is null
                ? (settledEtag, immutable)
                : ($"\"{Hash("settled", Build, request.Path + Pinned(request, pinTo))}\"", brief);
        }
        else if (asked <= KnownSettledPoint)
        {
            // Settled at an earlier look, so settled for good: no query at all.
            (etag, cacheControl) = (settledEtag, immutable);
        }
        else
        {
            var ledger = await ReadLedgerAsync(context.RequestAborted);
            if (asked <= ledger.Settled) (etag, cacheControl) = (settledEtag, immutable);
            else
            {
                (etag, cacheControl) = ($"W/\"{Hash("live", Build, ledger.State, request.Path + request.QueryString)}\"", brief);
                if (asked is null) pinTo = clock.GetUtcNow();
            }
        }
        if (pinTo is { } pin)
        {
            // An omitted knownAt is pinned before the query runs; Content-Location names the URL that answers the same.
            request.QueryString = Pinned(request, pin);
            context.Response.Headers.ContentLocation = request.Path + request.QueryString;
        }

        var headers = context.Response.Headers;
        headers.ETag = etag;
        headers.CacheControl = cacheControl;
        if (_scope == "private") headers.Vary = HeaderNames.Authorization;
        if (Matches(request.Headers.IfNoneMatch, etag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        // Only an answer is cacheable: a refusal (a bad asOf, an unknown party) says nothing about the next request.
        context.Response.OnStarting(() =>
        {
            if (context.Response.StatusCode != StatusCodes.Status200OK)
            {
                headers.Remove(HeaderNames.ETag);
                headers.Remove(HeaderNames.ContentLocation);
                headers.CacheControl = "no-store";
            }
            return Task.CompletedTask;
        });
        await next();
    }

    private static QueryString Pinned(HttpRequest request, DateTimeOffset? knownAt) => knownAt is not { } pin
        ? request.QueryString
        : QueryString.Create(request.Query.SelectMany(q => q.Value.Select(v => KeyValuePair.Create(q.Key, v)))
            .Append(KeyValuePair.Create("knownAt", (string?)Instants.Format(pin, false))));

    /// <summary>What the ledger has committed and has open now (see the class's summary), and the settled point.</summary>
    public async Task<(string State, DateTimeOffset Settled)> ReadLedgerAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            $"""
            with open as (
                select pid, xact_start from pg_stat_activity
                where application_name = current_setting('application_name') and pid <> pg_backend_pid() and xact_start is not null)
            select (select coalesce(max(seq_id), 0) from {_events})::text || ';'
                       || coalesce((select string_agg(pid || '@' || xact_start, ',' order by pid) from open), ''),
                   least(now(), coalesce((select min(xact_start) from open), now()))
            """);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var settled = reader.GetFieldValue<DateTimeOffset>(1) - _skew;
        // The settled point only moves forward: a transaction that starts later has a later start.
        long seen;
        while ((seen = Interlocked.Read(ref _knownSettledTicks)) < settled.UtcTicks
            && Interlocked.CompareExchange(ref _knownSettledTicks, settled.UtcTicks, seen) != seen)
        {
        }
        return (reader.GetString(0), settled);
    }

    private long _knownSettledTicks = DateTimeOffset.MinValue.UtcTicks;

    /// <summary>The latest settled point this node has read: every knownAt up to it is settled for good.</summary>
    private DateTimeOffset KnownSettledPoint => new(Interlocked.Read(ref _knownSettledTicks), TimeSpan.Zero);

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag) =>
        ifNoneMatch.SelectMany(v => (v ?? "").Split(',')).Select(v => v.Trim()).Any(v => v == "*" || v == etag || v == $"W/{etag}"
            || (etag.StartsWith("W/", StringComparison.Ordinal) && v == etag[2..]));

    private static string Hash(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..32];
}
