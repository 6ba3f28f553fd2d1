using System.Globalization;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using Xunit.Abstractions;
using static PositionLedger.Tests.HostileInput.Hostile;
using static PositionLedger.Tests.Infrastructure.Scenario;

namespace PositionLedger.Tests.HostileInput;

/// <summary>
/// Property: whatever a client sends to any route of the app (wrong JSON types, nulls, control and bidi
/// characters, dates at the ends of time, huge and deeply nested values, duplicate and unknown keys, bytes that
/// are not UTF-8, a wrong Content-Type, garbage query values), the answer is never a 5xx; a 4xx is RFC 9457
/// problem details whose errors map names the field (for 400, 413, 415 and 422); and a 4xx appends nothing.
/// <para>
/// Cases: <c>POSITIONLEDGER_FUZZ_CASES</c> (default 300). Seed: <c>POSITIONLEDGER_FUZZ_SEED</c>, a CsCheck seed;
/// every failure names the seed of its case, and that seed with one case sends the same request again (against
/// a fresh ledger: a case may depend on what the cases before it wrote). <c>POSITIONLEDGER_FUZZ_REPORT</c>: a
/// file for the summary and every failure class (deploy/fuzz.sh prints it).
/// </para>
/// <para>
/// The cases come from CsCheck generators, one seed each, but the loop is this test's own rather than
/// <c>Check.SampleAsync</c>: that stops trying larger cases at the first failure and shrinks it, while here every
/// case is sent and counted, so that one run lists every distinct failure (route, check, status, cause).
/// </para>
/// </summary>
public sealed class when_a_hostile_client_sends_anything(AppFixture app, ITestOutputHelper output) : ApiTest(app)
{
    public const string CasesVariable = "POSITIONLEDGER_FUZZ_CASES";
    public const string SeedVariable = "POSITIONLEDGER_FUZZ_SEED";
    public const string ReportVariable = "POSITIONLEDGER_FUZZ_REPORT";

    /// <summary>The route table as the app has it: every route needs a generator here, or the test fails.</summary>
    private static Dictionary<string, (int Weight, Gen<HostileRequest> Gen)> Routes() => new()
    {
        ["POST /api/parties"] = (3, Post("/api/parties", Const("/api/parties"), Party)),
        ["POST /api/issues"] = (2, Post("/api/issues", Const("/api/issues"), Issue)),
        ["POST /api/statements"] = (6, Post("/api/statements", Const("/api/statements"), NewStatement)),
        ["POST /api/statements/{id}/corrections"] =
            (6, Post("/api/statements/{id}/corrections", StatementPath("/corrections"), Correcting)),
        ["POST /api/statements/{id}/retraction"] = (2, Post("/api/statements/{id}/retraction", StatementPath("/retraction"), Retracting)),
        ["POST /api/imports"] = (3, ImportRequest),
        ["POST /api/reviews/{proposal}/approve"] = (1, Post("/api/reviews/{proposal}/approve", ProposalPath("/approve"), Approving)),
        ["POST /api/reviews/{proposal}/reject"] = (1, Post("/api/reviews/{proposal}/reject", ProposalPath("/reject"), Rejecting)),
        ["GET /api/reviews"] = (1, Get("/api/reviews", Const("/api/reviews"), P("status", ReviewStatus))),
        ["GET /api/reviews/{proposal}"] = (1, Get("/api/reviews/{proposal}", ProposalPath(""))),
        ["POST /api/sources"] = (2, Post("/api/sources", Const("/api/sources"), ArchivedSource)),
        ["GET /api/sources"] = (1, Get("/api/sources", Const("/api/sources"))),
        ["GET /api/sources/{id}"] = (1, Get("/api/sources/{id}", Segment("/api/sources/", Slug, ""))),
        ["GET /api/sources/{id}/annotations"] = (1, Get("/api/sources/{id}/annotations", Segment("/api/sources/", Slug, "/annotations"))),
        ["GET /api/sources/{id}/annotations.jsonld"] =
            (1, Get("/api/sources/{id}/annotations.jsonld", Segment("/api/sources/", Slug, "/annotations.jsonld"))),
        ["GET /api/parties"] = (1, Get("/api/parties", Const("/api/parties"))),
        ["GET /api/parties/{id}"] = (1, Get("/api/parties/{id}", Segment("/api/parties/", Slug, ""))),
        ["GET /api/issues"] = (1, Get("/api/issues", Const("/api/issues"))),
        ["GET /api/issues/{id}"] = (1, Get("/api/issues/{id}", Segment("/api/issues/", Slug, ""))),
        ["GET /api/statements/{id}"] = (1, Get("/api/statements/{id}", StatementPath(""))),
        ["GET /api/parties/{party}/stance"] = (2, Get("/api/parties/{party}/stance", Segment("/api/parties/", Slug, "/stance"),
            P("asOf", Date), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/stances"] = (2, Get("/api/stances", Const("/api/stances"),
            P("asOf", Date), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/parties/{party}/changes"] = (2, Get("/api/parties/{party}/changes", Segment("/api/parties/", Slug, "/changes"),
            P("from", Date, required: true), P("to", Date, required: true), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/stances.csv"] = (1, Get("/api/stances.csv", Const("/api/stances.csv"),
            P("asOf", Date), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/feed.atom"] = (1, Get("/api/feed.atom", Const("/api/feed.atom"))),
        ["GET /api/parties/{party}/claims-made"] = (1, Get("/api/parties/{party}/claims-made",
            Segment("/api/parties/", Slug, "/claims-made"), P("asOf", Date), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/parties/{party}/flips"] = (1, Get("/api/parties/{party}/flips", Segment("/api/parties/", Slug, "/flips"),
            P("from", Date), P("to", Date), P("knownAt", Date), P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/issues/{issue}/convergence"] = (1, Get("/api/issues/{issue}/convergence",
            Segment("/api/issues/", Slug, "/convergence"), P("from", Date), P("to", Date), P("knownAt", Date),
            P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/issues/{issue}/series"] = (1, Get("/api/issues/{issue}/series",
            Segment("/api/issues/", Slug, "/series"), P("from", Date), P("to", Date), P("knownAt", Date), P("points", Limit),
            P("evidence", EvidenceFilter), P("view", PendingView))),
        ["GET /api/timeline"] = (3, Get("/api/timeline", Const("/api/timeline"), P("party", Slug), P("issue", Slug),
            P("from", Date), P("to", Date), P("knownAt", Date), P("limit", Limit), P("after", TimelineCursor),
            P("evidence", EvidenceFilter), P("view", PendingView), P("order", TimelineOrder))),
        ["GET /api/search"] = (3, Get("/api/search", Const("/api/search"), P("q", SearchTerms, required: true), P("limit", Limit))),
        ["GET /api/events"] = (2, Get("/api/events", Const("/api/events"), P("after", Sequence), P("limit", Limit))),
        ["GET /api/events/live"] = (1,
            from r in Get("/api/events/live", Const("/api/events/live"), P("after", Sequence))
            from id in Sequence
            from resume in Gen.Bool
            select resume && id.All(c => c is >= ' ' and <= '~')
                ? r with
                {
                    Headers = [new("Last-Event-ID", id)], Fields = [.. r.Fields, "Last-Event-ID"], What = $"{r.What}; Last-Event-ID {id}",
                }
                : r),
        ["GET /api/events/export"] = (1, Get("/api/events/export", Const("/api/events/export"), P("after", Sequence))),
        ["GET /api/timeline/bounds"] = (1, Get("/api/timeline/bounds", Const("/api/timeline/bounds"))),
        ["GET /api/activity"] = (2, Get("/api/activity", Const("/api/activity"), P("from", Date), P("to", Date))),
        // Served by ASP.NET itself: the OpenAPI document, its interactive reference, health.
        ["GET /openapi/v1.json"] = (1, Get("/openapi/v1.json", Any(Const("/openapi/v1.json"), Segment("/openapi/", Slug, ".json")))),
        ["GET /docs/{documentName?}"] = (1, Get("/docs/{documentName?}", Segment("/docs/", Any(Const("", "v1"), Slug), ""))),
        ["GET /docs/favicon.svg"] = (1, Get("/docs/favicon.svg", Const("/docs/favicon.svg"))),
        ["GET /docs/scalar.aspnetcore.js"] = (1, Get("/docs/scalar.aspnetcore.js", Const("/docs/scalar.aspnetcore.js"))),
        ["GET /docs/scalar.js"] = (1, Get("/docs/scalar.js", Const("/docs/scalar.js"))),
        ["* /health/live"] = (1, Get("* /health/live", Const("/health/live"))),
        ["* /health/ready"] = (1, Get("* /health/ready", Const("/health/ready"))),
    };

    /// <summary>The one route that never ends (server-sent events): only its status and headers are checked.</summary>
    private const string LiveFeed = "GET /api/events/live";

    [Fact]
    public async Task no_request_gets_a_5xx_and_every_refusal_names_its_field_and_appends_nothing()
    {
        var routes = Routes();
        var table = RouteTable(App.Services);
        table.Except(routes.Keys).ShouldBeEmpty($"Routes with no generator of hostile requests; add one to {nameof(Routes)}()");
        routes.Keys.Except(table).ShouldBeEmpty("Generators for routes the app no longer has");

        var ledger = await Ledger.SeedAsync(App);
        var gen = Weighted([.. table.Select(route => routes[route])]);
        var cases = int.Parse(Environment.GetEnvironmentVariable(CasesVariable) ?? "300", CultureInfo.InvariantCulture);
        var seed = Environment.GetEnvironmentVariable(SeedVariable);
        var pcg = seed is null ? new PCG((uint)Random.Shared.Next(), (ulong)Random.Shared.NextInt64()) : PCG.Parse(seed);
        var runSeed = pcg.ToString();
        var tally = new Tally(ExceptionLog.Into(App.Services));

        try
        {
            for (var i = 0; i < cases; i++)
            {
                var caseSeed = pcg.ToString();
                var request = await ledger.ResolveAsync(gen.Generate(pcg, null, out _));
                await tally.CheckAsync(App, ledger, caseSeed, request);
            }
        }
        finally
        {
            tally.Log.Recording = false;
        }

        var report = tally.Report(runSeed, cases);
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } file) await File.WriteAllTextAsync(file, report);
        tally.Failures.Count.ShouldBe(0, report);
    }

    /// <summary>Every route the app serves, as "METHOD pattern", from its endpoint data sources (static files aside).</summary>
    private static List<string> RouteTable(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} /{e.RoutePattern.RawText!.TrimStart('/')}"))
            .Distinct().Order(StringComparer.Ordinal)];

    // ---------------------------------------------------------------- requests of each kind

    public sealed record Param(string Name, Gen<string> Values, bool Required = false);

    private static Param P(string name, Gen<string> values, bool required = false) => new(name, values, required);

    private static readonly Gen<string> ContentType = Weighted(
        (16, Const("application/json")),
        (3, Const("application/json; charset=utf-8", "APPLICATION/JSON", "application/json;charset=UTF-8")),
        (1, Gen.Const<string>(() => null!)),
        (1, Const("text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", "application/problem+json",
            "application/json; charset=utf-16", "application/json; charset=latin1", "application/json;;", "application/x-ndjson",
            "text/json", "*/*", "application/*", "application/json; boundary=\"", "json", "application/json x")));

    private static bool PlainJson(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && string.Equals(parsed.MediaType, "application/json", StringComparison.OrdinalIgnoreCase)
        && (parsed.CharSet is null || string.Equals(parsed.CharSet, "utf-8", StringComparison.OrdinalIgnoreCase))
        && parsed.Parameters.Count <= 1;

    /// <summary>Headers of a write: an idempotency key now and then (some reused, some too long), a hostile correlation id.</summary>
    private static readonly Gen<KeyValuePair<string, string>[]> WriteHeaders = Weighted(
        (6, Gen.Const(() => Array.Empty<KeyValuePair<string, string>>())),
        (2, from key in Weighted((4, Const("fuzz-1", "fuzz-2", "fuzz-3")), (1, Const(new string('k', 201), " ", "a b", "\u007f")),
                (2, Gen.Guid.Select(g => g.ToString())))
            select new[] { new KeyValuePair<string, string>("Idempotency-Key", key) }),
        (1, from id in Const("", " ", new string('c', 129), new string('c', 10_000), "%00", "\u007f", "a\tb")
            select new[] { new KeyValuePair<string, string>("X-Correlation-Id", id) }));

    private static readonly Gen<Caller> WriteCaller = Weighted((30, Gen.Const(Caller.Editor)), (1, Gen.Const(Caller.Reader)),
        (1, Gen.Const(Caller.Anonymous)));

    private static Gen<HostileRequest> Post(string route, Gen<string> path, Shape shape) =>
        from p in path
        from body in BodyOf(shape)
        from contentType in ContentType
        from headers in WriteHeaders
        from caller in WriteCaller
        select new HostileRequest($"POST {route}", "POST", p, "", contentType, body.Bytes, headers, caller,
            Fields(body.Fields, headers, PathFields(route, p)),
            body.What + (PlainJson(contentType) ? "" : $" as {contentType ?? "no Content-Type"}"));

    /// <summary>
    /// What the errors map may name: the fields the body broke (none listed: any), and always the Content-Type
    /// and the headers sent, which a server may refuse first.
    /// </summary>
    private static string[] Fields(string[] body, KeyValuePair<string, string>[] headers, string[]? path = null) =>
        body.Length == 0 ? [] : [.. body, "Content-Type", .. headers.Select(h => h.Key), .. path ?? []];

    private static readonly System.Text.RegularExpressions.Regex PlainSegment =
        new(@"^(@[a-z]+@|[a-z0-9]+(-[a-z0-9]+)*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\z");

    /// <summary>The route values of a path that are not plain slugs or ids: the server may refuse those first, by name.</summary>
    private static string[] PathFields(string route, string path)
    {
        var template = route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..].Split('/');
        var segments = path.Split('/');
        return [.. template.Select((part, i) => (part, i))
            .Where(s => s.part.StartsWith('{') && s.i < segments.Length && !PlainSegment.IsMatch(Decoded(segments[s.i])))
            .Select(s => s.part.Trim('{', '}', '?'))];
    }

    private static string Decoded(string segment)
    {
        try { return Uri.UnescapeDataString(segment); }
        catch (UriFormatException) { return segment; }
    }

    private static readonly Gen<HostileRequest> ImportRequest =
        from import in Import
        from contentType in Weighted((12, Gen.Const(import.Array ? "application/json" : "application/x-ndjson")), (2, ContentType))
        from headers in WriteHeaders
        from caller in WriteCaller
        select new HostileRequest("POST /api/imports", "POST", "/api/imports", "", contentType, import.Body.Bytes, headers, caller,
            // A batch framed other than its Content-Type says is refused as a whole, against its first line.
            Fields(import.Body.Fields.Length == 0 || IsJson(contentType) == import.Array
                ? import.Body.Fields : [.. import.Body.Fields, "line 1"], headers),
            import.Body.What + (contentType is "application/json" or "application/x-ndjson" ? "" : $" as {contentType ?? "none"}"));

    private static bool IsJson(string? contentType) =>
        contentType?.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>A statement's path: the live statement, the claim, the retracted one, or an id that is none of them.</summary>
    private static Gen<string> StatementPath(string suffix) => Weighted(
        (6, Const("@live@", "@claim@").Select(id => $"/api/statements/{id}{suffix}")),
        (1, Const("@retracted@", "@LIVE@", "{@live@}").Select(id => $"/api/statements/{id}{suffix}")),
        (2, Segment("/api/statements/", Weighted((1, Gen.Guid.Select(g => g.ToString())),
            (2, Const("not-a-guid", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "0", "-1")),
            (2, Text)), suffix)));

    /// <summary>A proposal's path: an id that is no proposal, or not an id at all.</summary>
    private static Gen<string> ProposalPath(string suffix) => Segment("/api/reviews/",
        Weighted((2, Gen.Guid.Select(g => g.ToString())), (1, Const("not-a-guid", "0")), (1, Text)), suffix);

    /// <summary>A path with one hostile segment, percent-encoded (or raw percent forms).</summary>
    private static Gen<string> Segment(string prefix, Gen<string> value, string suffix) =>
        from v in Encoded(value) select prefix + v + suffix;

    private static readonly string[] RawPercent =
        ["%00", "%FF", "%C3%28", "%ED%A0%80", "%", "%G0", "%%", "+", "%2B", "a%00b", "%0A", "%0D%0A", "%E2%80%AE", "%EF%BB%BF", "%C0%80"];

    private static Gen<string> Encoded(Gen<string> value) => Weighted(
        // Cut at 10,000 characters: a longer request line is refused by Kestrel (414) all the same.
        (8, value.Select(v => Uri.EscapeDataString(v.Length > 10_000 ? v[..10_000] : v))),
        (2, Const(RawPercent)));

    private static Gen<HostileRequest> Get(string route, Gen<string> path, params Param[] parameters) =>
        from p in path
        from query in Query(parameters)
        let fields = PathFields(route, p)
        select new HostileRequest(route.Contains(' ') ? route : $"GET {route}", "GET", p, query.Text, null, null, [], Caller.Editor,
            query.Fields.Length == 0 && fields.Length == 0 ? [] : [.. query.Fields, .. fields], query.What);

    private sealed record QueryParts(string Text, string[] Fields, string What);

    /// <summary>Each parameter absent or given (valid or hostile), now and then twice; unknown parameters, stray separators.</summary>
    private static Gen<QueryParts> Query(Param[] parameters) =>
        from values in All([.. parameters.Select(p => Weighted(
            (2, Gen.Const<string[]>(() => [])),
            (5, Encoded(p.Values).Select(v => new[] { $"{p.Name}={v}" })),
            (1, from a in Encoded(p.Values) from b in Encoded(p.Values) select new[] { $"{p.Name}={a}", $"{p.Name}={b}" }),
            (1, Const(p.Name, $"{p.Name}=").Select(v => new[] { v }))))])
        from extra in Weighted((6, Gen.Const(() => Array.Empty<string>())),
            (1, Const("unknown=1", "=x", "&", "&&", "a=%00", "%00=1", "asOf[]=1", "q=1;limit=2", "x=" + new string('x', 8000))
                .Select(e => new[] { e })))
        let parts = values.SelectMany(v => v).Concat(extra).ToArray()
        select new QueryParts(
            parts.Length == 0 ? "" : "?" + string.Join('&', parts),
            [.. parameters.Where((p, i) => p.Required || values[i].Length > 0).Select(p => p.Name), .. ExtraNames(extra)],
            parts.Length == 0 ? "no query" : "query " + Show(string.Join('&', parts), 120));

    /// <summary>An unknown or malformed parameter may be refused by its name, or as the query as a whole.</summary>
    private static string[] ExtraNames(string[] extra) =>
        extra.Length == 0 ? [] : ["query", .. extra.Select(e => Decoded(e.Split('=')[0])).Where(n => n.Length > 0)];

    private static Gen<string[][]> All(Gen<string[]>[] gens) =>
        gens.Aggregate(Gen.Const(() => Array.Empty<string[]>()), (all, next) => from a in all from n in next select (string[][])[.. a, n]);

    // ---------------------------------------------------------------- the ledger the requests meet

    /// <summary>A small valid ledger, and the statements the placeholders of a request stand for.</summary>
    private sealed class Ledger(AppFixture app)
    {
        public Guid Live { get; private set; }
        public Guid Claim { get; private set; }
        public Guid Retracted { get; private set; }

        public static async Task<Ledger> SeedAsync(AppFixture app)
        {
            await app.GivenPartiesAndIssuesAsync(Hostile.Parties, Hostile.Issues);
            var ledger = new Ledger(app);
            await ledger.RenewAsync(live: true, claim: true);
            var retracted = Stated("usa", "energy", Stance.Supports, "2025-03-11");
            await app.GivenAsync(retracted, new StatementRetracted(retracted.StatementId, "Withdrawn"));
            ledger.Retracted = retracted.StatementId;
            return ledger;
        }

        /// <summary>A retracted live statement or claim is replaced, so that later requests still reach validation.</summary>
        public async Task RenewAsync(bool live, bool claim)
        {
            if (live)
            {
                var stated = Stated("russia", "ceasefire", Stance.Conditional, "2025-03-13", conditions: ["verification"]);
                await app.GivenAsync(stated);
                Live = stated.StatementId;
            }
            if (claim)
            {
                var claimed = Claimed("ukraine", "russia", "energy", Stance.Opposes, "2025-03-12T09:30:00Z");
                await app.GivenAsync(claimed);
                Claim = claimed.StatementId;
            }
        }

        public async Task<HostileRequest> ResolveAsync(HostileRequest request)
        {
            var path = request.Path
                .Replace("@live@", Live.ToString()).Replace("@LIVE@", Live.ToString().ToUpperInvariant())
                .Replace("@claim@", Claim.ToString()).Replace("@retracted@", Retracted.ToString());
            if (request.Body is null) return request with { Path = path };
            var target = path.Contains(Claim.ToString(), StringComparison.Ordinal) ? Claim
                : path.Contains(Retracted.ToString(), StringComparison.Ordinal) ? Retracted : Live;
            var version = await VersionAsync(target);
            var body = !Contains(request.Body, "\"@")
                ? request.Body
                : Replace(request.Body, ("\"@v@\"", $"{version}"), ("\"@stale@\"", $"{version - 1}"), ("\"@next@\"", $"{version + 1}"));
            return request with { Path = path, Body = body };
        }

        private async Task<long> VersionAsync(Guid id)
        {
            await using var session = app.Store.QuerySession();
            return (await session.Events.FetchStreamStateAsync(id.ToString()))?.Version ?? 0;
        }

        public async Task AfterAsync(HostileRequest request, int status)
        {
            if (status is < 200 or > 299 || !request.Route.EndsWith("/retraction", StringComparison.Ordinal)) return;
            await RenewAsync(live: request.Path.Contains(Live.ToString(), StringComparison.OrdinalIgnoreCase),
                claim: request.Path.Contains(Claim.ToString(), StringComparison.OrdinalIgnoreCase));
        }

        private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

        private static byte[] Replace(byte[] body, params (string From, string To)[] replacements)
        {
            var text = Encoding.Latin1.GetString(body);
            foreach (var (from, to) in replacements) text = text.Replace(from, to, StringComparison.Ordinal);
            return Encoding.Latin1.GetBytes(text);
        }
    }

    // ---------------------------------------------------------------- sending and judging

    public sealed record Failure(string Check, string Route, int Status, string Seed, HostileRequest Request, string Response)
    {
        /// <summary>Failures of one class: the same check on the same route, status and server message.</summary>
        public string Class =>
            $"{Check} | {Route} | {(Status == 0 ? "no response" : Status.ToString(CultureInfo.InvariantCulture))} | {Gist(Response)}";

        private static string Gist(string response)
        {
            try
            {
                var problem = JsonNode.Parse(response)?.AsObject();
                var text = (string?)problem?["detail"] ?? (string?)problem?["title"] ?? response;
                return Blur(text);
            }
            catch (Exception)
            {
                return Blur(response);
            }
        }

        /// <summary>A message without the values it quotes, so that one cause is one class.</summary>
        private static string Blur(string message)
        {
            message = System.Text.RegularExpressions.Regex.Replace(message, @"'[^']*'|""[^""]*""|\d+", "…");
            return Show(System.Text.RegularExpressions.Regex.Replace(message, @" Path: \$[^ ]*", " Path: …"), 160);
        }
    }

    private sealed class Tally(ExceptionLog log)
    {
        public ExceptionLog Log { get; } = log;
        public int Sent, Unsendable, ServerErrors, WithoutField, NotProblem, EventsOnRefusal, NoResponse, RejectedByKestrel;
        public readonly Dictionary<int, int> Statuses = [];
        public readonly List<Failure> Failures = [];
        public readonly Dictionary<string, (int Count, string Example)> BeforeTheApp = [];

        public async Task CheckAsync(AppFixture app, Ledger ledger, string seed, HostileRequest request)
        {
            using var message = Message(request);
            if (message is null) { Unsendable++; return; }
            var client = request.Caller switch { Caller.Reader => app.Reader, Caller.Anonymous => app.Anonymous, _ => app.Client };
            var events = await app.EventCountAsync();
            Log.Drain();
            Sent++;
            int status;
            string? mediaType;
            string body;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                status = (int)response.StatusCode;
                mediaType = response.Content.Headers.ContentType?.MediaType;
                // The live feed never ends: its headers are the answer.
                body = request.Route == LiveFeed && status == 200 ? "" : await response.Content.ReadAsStringAsync(timeout.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                NoResponse++;
                Failures.Add(new Failure("no response", request.Route, 0, seed, request, $"{e.GetType().Name}: {e.Message}"));
                return;
            }
            Statuses[status] = Statuses.GetValueOrDefault(status) + 1;
            void Fail(string check, string response) => Failures.Add(new Failure(check, request.Route, status, seed, request, response));
            await ledger.AfterAsync(request, status);

            if (status >= 500)
            {
                ServerErrors++;
                var cause = Log.Drain();
                Fail("5xx", cause.Count > 0 ? string.Join(" / ", cause.Distinct()) : body);
                return;
            }
            if (status is < 400 or > 499) return;
            if (mediaType is null && body.Length == 0 && KestrelRefusal(request, status) is { } reason)
            {
                // Refused by the HTTP server before any middleware runs: the app cannot shape this answer.
                RejectedByKestrel++;
                BeforeTheApp[reason] = (BeforeTheApp.GetValueOrDefault(reason).Count + 1, $"seed {seed}: {Show(request.ToString(), 200)}");
                return;
            }

            var appended = await app.EventCountAsync() - events;
            if (appended != 0)
            {
                EventsOnRefusal++;
                Fail($"{appended} events appended on a 4xx", body);
            }
            System.Text.Json.JsonElement problem = default;
            try { problem = System.Text.Json.JsonDocument.Parse(body).RootElement; }
            catch (System.Text.Json.JsonException) { }
            if (mediaType != "application/problem+json" || problem.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                NotProblem++;
                Fail($"4xx not problem details ({mediaType ?? "no content type"})", body);
                return;
            }
            var duplicates = problem.EnumerateObject().GroupBy(p => p.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicates.Count > 0)
            {
                NotProblem++;
                Fail($"4xx problem details with a key twice ({string.Join(", ", duplicates)})", body);
            }
            if (status is not (400 or 413 or 415 or 422)) return;
            // Of keys given twice, a client reads the last.
            var errors = problem.EnumerateObject().LastOrDefault(p => p.Name == "errors").Value;
            var named = errors.ValueKind == System.Text.Json.JsonValueKind.Object ? errors.EnumerateObject().ToList() : [];
            if (named.Count == 0 || named.Any(e => e.Name.Length == 0
                || e.Value.ValueKind != System.Text.Json.JsonValueKind.Array || e.Value.GetArrayLength() == 0))
            {
                WithoutField++;
                Fail("4xx without an errors map naming a field", body);
                return;
            }
            // A body too large is refused before it is read: the body is the field.
            IReadOnlyList<string> fields = status == 413 && request.Fields.Count > 0 ? [.. request.Fields, "body"] : request.Fields;
            if (fields.Count > 0 && !named.Any(e => fields.Any(f => Names(e.Name, f))) && !ChangesNothing(request, named))
            {
                WithoutField++;
                Fail($"4xx errors name none of [{Show(string.Join(", ", fields), 200)}]", body);
            }
        }

        /// <summary>A correction whose hostile values happen to equal the statement's is refused as a whole: that names the body.</summary>
        private static bool ChangesNothing(HostileRequest request, List<System.Text.Json.JsonProperty> errors) =>
            request.Route.EndsWith("/corrections", StringComparison.Ordinal) && errors is [{ Name: "body" } only]
            && only.Value.ToString().Contains("changes no field", StringComparison.Ordinal);

        /// <summary>Kestrel answers some requests itself, empty: a NUL in the path (400), a line or headers too long (414, 431).</summary>
        private static string? KestrelRefusal(HostileRequest request, int status) => status switch
        {
            400 when request.Path.Contains("%00", StringComparison.Ordinal) => "400 for a NUL (%00) in the path",
            414 when request.Url.Length > 8 * 1024 - 32 => "414 for a request line over 8 KiB",
            431 when request.Headers.Sum(h => h.Key.Length + h.Value.Length) > 8 * 1024 => "431 for headers over 8 KiB",
            _ => null,
        };

        /// <summary>An errors key names a field if it is that field, a part of it or its parent, or ends in the same name.</summary>
        private static bool Names(string key, string field)
        {
            if (string.Equals(key, field, StringComparison.OrdinalIgnoreCase)) return true;
            if (Within(field, key) || Within(key, field)) return true;
            static bool Within(string inner, string outer) =>
                inner.StartsWith(outer + ".", StringComparison.OrdinalIgnoreCase)
                || inner.StartsWith(outer + "[", StringComparison.OrdinalIgnoreCase);
            static string Leaf(string s) => s.Split('.')[^1].Split('[')[0];
            return Leaf(key).Length > 0 && string.Equals(Leaf(key), Leaf(field), StringComparison.OrdinalIgnoreCase);
        }

        private static HttpRequestMessage? Message(HostileRequest request)
        {
            try
            {
                var message = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(request.Url, UriKind.Relative));
                if (request.Body is not null)
                {
                    message.Content = new ByteArrayContent(request.Body);
                    var headers = message.Content.Headers;
                    if (request.ContentType is { } type && !headers.TryAddWithoutValidation("Content-Type", type)) return null;
                    // As a careful client does: a large body may be refused (413) before it is sent.
                    if (request.Body.Length > 64 * 1024) message.Headers.ExpectContinue = true;
                }
                foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
                return message;
            }
            catch (UriFormatException)
            {
                return null;
            }
        }

        public string Report(string seed, int cases)
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"hostile requests: {cases} cases, {ServerErrors} 5xx, {WithoutField} 4xx without a named field, "
                + $"{EventsOnRefusal} with events appended on a 4xx, {NotProblem} 4xx not problem details, {NoResponse} without a response "
                + $"(seed {seed})");
            foreach (var (reason, (count, example)) in BeforeTheApp)
                text.AppendLine(CultureInfo.InvariantCulture, $"not counted (Kestrel's own): {count} x {reason}, e.g. {example}");
            text.AppendLine(CultureInfo.InvariantCulture,
                $"statuses: {string.Join(", ", Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}; unsent: {Unsendable}");
            foreach (var group in Failures.GroupBy(f => f.Class).OrderByDescending(g => g.Count()))
            {
                text.AppendLine();
                text.AppendLine(CultureInfo.InvariantCulture, $"{group.Count()} x {group.Key}");
                foreach (var f in group.Take(3))
                {
                    text.AppendLine(CultureInfo.InvariantCulture, $"  seed {f.Seed}: {f.Request.What}");
                    text.AppendLine(CultureInfo.InvariantCulture, $"    {Show(f.Request.ToString(), 600)}");
                    text.AppendLine(CultureInfo.InvariantCulture, $"    -> {Show(f.Response, 600)}");
                }
            }
            return text.ToString();
        }
    }
}
