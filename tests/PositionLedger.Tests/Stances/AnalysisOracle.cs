using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PositionLedger.Infrastructure;
using PositionLedger.Sources;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Stances;

/// <summary>
/// Analysis rules 6-8 on random histories: the API's claims-made, flips and convergence equal the reference fold
/// over the raw events, for many (asOf or range, knownAt, evidence filter) questions.
/// </summary>
public sealed class when_random_histories_are_analysed(AppFixture app) : ApiTest(app)
{
    private static readonly string[] Parties = when_random_histories_are_checked_against_the_reference_fold.Parties;
    private static readonly string[] Issues = when_random_histories_are_checked_against_the_reference_fold.Issues;

    [Theory]
    [InlineData(4, 300)]
    [InlineData(5, 200)]
    public async Task claims_flips_and_convergence_agree_with_a_plain_fold_of_the_raw_events(int seed, int events)
    {
        await App.GivenPartiesAndIssuesAsync(Parties, Issues);
        var random = new Random(seed);
        await when_random_histories_are_checked_against_the_reference_fold.GenerateHistoryAsync(App, random, events);
        var log = await when_random_histories_are_checked_against_the_reference_fold.RawLogAsync(App);
        var questions = when_random_histories_are_checked_against_the_reference_fold.Questions(random, log).ToList();

        var compared = 0;
        foreach (var (asOf, knownAt, kinds) in questions)
        {
            var filter = kinds is null ? "" : $"&evidence={string.Join(',', kinds)}";
            var known = $"knownAt={Uri.EscapeDataString(knownAt)}{filter}";
            Instants.TryParseUpperBound(asOf, out var asOfValue).ShouldBeTrue();
            Instants.TryParseUpperBound(knownAt, out var knownAtValue).ShouldBeTrue();
            var party = Parties[random.Next(Parties.Length)];
            var issue = Issues[random.Next(Issues.Length)];
            var (from, to) = Range(random);

            var claims = await Client.GetFromJsonAsync<JsonObject>($"/api/parties/{party}/claims-made?asOf={asOf}&{known}");
            var expectedClaims = ReferenceFold.ClaimsMade(log, party, asOfValue, knownAtValue, kinds);
            Render(claims!["claims"]!.AsArray().Select(c => $"{c!["statementId"]}:{c["resolution"]}:{c["resolvedBy"]}"))
                .ShouldBe(Render(expectedClaims.Select(c => $"{c.StatementId}:{c.Resolution}:{c.ResolvedBy}")),
                    $"claims-made {party} asOf={asOf} {known}");
            ((int)claims["totals"]!["made"]!).ShouldBe(expectedClaims.Count);
            ((int)claims["totals"]!["open"]!).ShouldBe(expectedClaims.Count(c => c.Resolution == "open"));

            var range = (from is null ? "" : $"from={from}&") + (to is null ? "" : $"to={to}&");
            DateTimeOffset? fromStart = from is null ? null : Instants.TryParse(from, out var f, out _) ? f : throw new FormatException();
            var toEnd = to is null ? knownAtValue : Instants.TryParseUpperBound(to, out var t) ? t : throw new FormatException();
            var flips = await Client.GetFromJsonAsync<JsonObject>($"/api/parties/{party}/flips?{range}{known}");
            Render(flips!["flips"]!.AsArray().Select(x =>
                    $"{x!["issue"]}:{x["before"]!["statementId"]}>{x["after"]!["statementId"]}:{x["swing"]?.ToString() ?? "null"}"))
                .ShouldBe(Render(ReferenceFold.Flips(log, party, fromStart, toEnd, knownAtValue, kinds)
                    .Select(x => $"{x.Issue}:{x.Before}>{x.After}:{x.Swing?.ToString(CultureInfo.InvariantCulture) ?? "null"}")),
                    $"flips {party} {range}{known}");

            DateTimeOffset? fromEnd = from is null ? null
                : Instants.TryParseUpperBound(from, out var fe) ? fe : throw new FormatException();
            var convergence = await Client.GetFromJsonAsync<JsonObject>($"/api/issues/{issue}/convergence?{range}{known}");
            Render(convergence!["points"]!.AsArray().Select(p => $"{(DateTimeOffset)p!["at"]!:O}:{p["gap"]?.ToString() ?? "null"}:"
                    + string.Join(",", p["scores"]!.AsObject().Select(s => $"{s.Key}={s.Value}"))))
                .ShouldBe(Render(ReferenceFold.Convergence(log, issue, fromEnd, toEnd, knownAtValue, kinds)
                    .Select(p => $"{p.At:O}:{p.Gap?.ToString(CultureInfo.InvariantCulture) ?? "null"}:{p.Scores}")),
                    $"convergence {issue} {range}{known}");

            // The chart's series, with a budget no history here reaches, is exact: each party's step line and the gap line
            // hold, at every point of convergence, the scores and the gap convergence has there.
            var series = (await Client.GetFromJsonAsync<JsonObject>($"/api/issues/{issue}/series?{range}points=4000&{known}"))!;
            var lines = series["parties"]!.AsArray().ToDictionary(s => (string)s!["party"]!, s =>
            {
                ((bool)s!["downsampled"]!).ShouldBeFalse();
                return s["points"]!.AsArray().Select(x => (At: (DateTimeOffset)x!["at"]!, Value: (int?)x["score"])).ToList();
            });
            var gaps = series["gap"]!.AsArray().Select(g => (At: (DateTimeOffset)g!["at"]!, Value: (int?)g["gap"])).ToList();
            foreach (var point in convergence["points"]!.AsArray())
            {
                var at = (DateTimeOffset)point!["at"]!;
                var scores = point["scores"]!.AsObject();
                foreach (var p in Parties)
                {
                    HeldAt(lines.GetValueOrDefault(p) ?? [], at).ShouldBe((int?)scores[p],
                        $"series {issue} {range}{known}: {p} at {at:O}");
                }
                HeldAt(gaps, at).ShouldBe((int?)point["gap"], $"series gap {issue} {range}{known} at {at:O}");
            }
            compared++;
        }
        compared.ShouldBe(questions.Count);
    }

    [Fact]
    public async Task claims_and_the_statements_that_resolve_them_appended_at_once_are_resolved_as_the_fold_says()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire"]);
        // Eight writers on one issue of one party, own statements and claims about it interleaved on few days: each
        // transaction resolves claims the others are adding at the same moment.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 25; i++)
            {
                var day = $"2025-03-{1 + random.Next(6):00}";
                await App.GivenAsync(random.Next(2) == 0
                    ? Scenario.Stated("russia", "ceasefire", (PositionLedger.Statements.Stance)random.Next(7), day)
                    : Scenario.Stated("russia", "ceasefire", PositionLedger.Statements.Stance.Rejects, day,
                        claimedBy: new PositionLedger.Statements.ClaimedBy("ukraine", "Zelenskiy")));
            }
        })));
        var log = await when_random_histories_are_checked_against_the_reference_fold.RawLogAsync(App);

        var claims = await Client.GetFromJsonAsync<JsonObject>("/api/parties/ukraine/claims-made");

        var now = DateTimeOffset.UtcNow.AddMinutes(1);
        var expected = ReferenceFold.ClaimsMade(log, "ukraine", now, now);
        expected.Count.ShouldBeGreaterThan(60);
        Render(claims!["claims"]!.AsArray().Select(c => $"{c!["statementId"]}:{c["resolution"]}:{c["resolvedBy"]}"))
            .ShouldBe(Render(expected.Select(c => $"{c.StatementId}:{c.Resolution}:{c.ResolvedBy}")));
    }

    /// <summary>A valid-time range: either end left out at times, dates and instants, sometimes empty.</summary>
    private static (string? From, string? To) Range(Random random)
    {
        string Moment() => random.Next(2) == 0
            ? $"2025-03-{random.Next(1, 12):00}"
            : new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero).AddHours(random.Next(11 * 24))
                .ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return (random.Next(4) == 0 ? null : Moment(), random.Next(4) == 0 ? null : Moment());
    }

    private static string Render(IEnumerable<string> lines) => string.Join("\n", lines);

    /// <summary>A step line's value at a moment: its last point at or before it (none before its first).</summary>
    private static int? HeldAt(List<(DateTimeOffset At, int? Value)> steps, DateTimeOffset at) =>
        steps.LastOrDefault(s => s.At <= at) is { At: var found } step && found != default ? step.Value : null;
}
