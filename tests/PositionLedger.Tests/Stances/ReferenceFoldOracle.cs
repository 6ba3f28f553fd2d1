using System.Globalization;
using System.Net.Http.Json;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Stances;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Revisions;
using PositionLedger.Sources;

namespace PositionLedger.Tests.Stances;

/// <summary>
/// For randomly generated histories (back-filled dates, corrections that move statements, retractions,
/// claims, withdrawals, equal statedAt ties, every kind of evidence), the API's answers equal the reference fold
/// over the raw events for many (asOf, knownAt, evidence filter) questions, and still do after the projection is rebuilt.
/// </summary>
public sealed class when_random_histories_are_checked_against_the_reference_fold(AppFixture app) : ApiTest(app)
{
    internal static readonly string[] Parties = ["russia", "ukraine", "us", "belarus"];
    internal static readonly string[] Issues = ["ceasefire", "kursk", "territory"];

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 300)]
    [InlineData(3, 200)]
    public async Task the_api_agrees_with_a_plain_fold_of_the_raw_events_before_and_after_a_rebuild(int seed, int events)
    {
        await App.GivenPartiesAndIssuesAsync(Parties, Issues);
        var random = new Random(seed);
        await GenerateHistoryAsync(App, random, events);

        var log = await RawLogAsync(App);
        var questions = Questions(random, log).ToList();
        var before = new List<string>();
        foreach (var (asOf, knownAt, kinds) in questions)
        {
            before.Add(await CompareAsync(log, asOf, knownAt, kinds));
        }

        using (var daemon = await App.Store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync(
                PositionLedger.Revisions.Configuration.RevisionsProjection, TimeSpan.FromMinutes(5), CancellationToken.None);
        }

        var after = new List<string>();
        foreach (var (asOf, knownAt, kinds) in questions)
        {
            after.Add(await CompareAsync(log, asOf, knownAt, kinds));
        }
        after.ShouldBe(before);

        // And after the fast rebuild into a new table (the rebuild command's path).
        await App.Services.GetRequiredService<RevisionsRebuild>().RunAsync(null, CancellationToken.None);
        var afterSwap = new List<string>();
        foreach (var (asOf, knownAt, kinds) in questions)
        {
            afterSwap.Add(await CompareAsync(log, asOf, knownAt, kinds));
        }
        afterSwap.ShouldBe(before);
    }

    /// <summary>A random history of statements, corrections and retractions, appended to the app's ledger.</summary>
    internal static async Task GenerateHistoryAsync(AppFixture app, Random random, int count)
    {
        var live = new List<PositionStated>();
        var current = new Dictionary<Guid, StatementContent>();
        for (var i = 0; i < count; i++)
        {
            var roll = random.NextDouble();
            object e;
            if (live.Count < 5 || roll < 0.7)
            {
                var content = RandomContent(random);
                var stated = new PositionStated(Guid.NewGuid(), content);
                live.Add(stated);
                current[stated.StatementId] = content;
                e = stated;
            }
            else if (roll < 0.92)
            {
                var target = live[random.Next(live.Count)];
                var was = current[target.StatementId];
                var now = random.Next(6) switch
                {
                    0 => was with { Stance = RandomStance(random) },
                    1 => was with { StatedAt = RandomStatedAt(random) },
                    2 => was with { Issue = Pick(random, Issues) },
                    3 => RandomContent(random),
                    4 => was with { Evidence = RandomEvidence(random) },
                    _ => was with { ClaimedBy = was.ClaimedBy is null ? RandomClaimant(random, was.Party) : null },
                };
                current[target.StatementId] = now;
                e = new StatementCorrected(target.StatementId, now, ["any"], "correction");
            }
            else
            {
                var target = live[random.Next(live.Count)];
                live.Remove(target);
                e = new StatementRetracted(target.StatementId, "retraction");
            }
            await app.GivenAsync(e);
        }
    }

    private static StatementContent RandomContent(Random random)
    {
        var party = Pick(random, Parties);
        return new StatementContent(
            party, Pick(random, Issues), RandomStance(random), "Speaker", "Quote", RandomStatedAt(random), true,
            Scenario.Wire, random.Next(4) == 0 ? ["a condition"] : [],
            random.Next(7) == 0 ? RandomClaimant(random, party) : null,
            RandomEvidence(random));
    }

    /// <summary>Each kind of evidence, or none (unanchored). The anchors are not placed: only the kind matters to the rules.</summary>
    private static Evidence? RandomEvidence(Random random) =>
        random.Next(5) == 0 ? null : new Evidence(Pick(random, EvidenceKinds.Given), [new Anchor("wire", "Quote", "", "", 0, 5)]);

    private static ClaimedBy RandomClaimant(Random random, string party) =>
        new(Pick(random, Parties.Where(p => p != party).ToArray()), "Claimant");

    private static Stance RandomStance(Random random) =>
        random.Next(12) == 0 ? Stance.Withdraws : (Stance)random.Next((int)Stance.Withdraws);

    // Few distinct days, so that equal statedAt ties are common; some statements carry a time of day.
    private static DateTimeOffset RandomStatedAt(Random random) =>
        new DateTimeOffset(2025, 3, 1 + random.Next(10), 0, 0, 0, TimeSpan.Zero).AddHours(random.Next(4) == 0 ? random.Next(24) : 0);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    internal static async Task<IReadOnlyList<IEvent>> RawLogAsync(AppFixture app)
    {
        await using var session = app.Store.QuerySession();
        return await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey != Tombstone.StreamKey)
            .OrderBy(e => e.Sequence)
            .ToListAsync();
    }

    /// <summary>asOf across the valid-time range; knownAt on, just before and between record times, and now.</summary>
    internal static IEnumerable<(string AsOf, string KnownAt, string[]? Kinds)> Questions(Random random, IReadOnlyList<IEvent> log)
    {
        var recorded = log.Select(e => e.Timestamp).Distinct().Order().ToArray();
        for (var i = 0; i < 40; i++)
        {
            var asOf = random.Next(3) == 0
                ? Format(new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero).AddHours(random.Next(11 * 24)))
                : $"2025-03-{random.Next(1, 12):00}";
            var knownAt = random.Next(8) == 0
                ? Format(DateTimeOffset.UtcNow.AddMinutes(1))
                : Format(recorded[random.Next(recorded.Length)].AddTicks(random.Next(2) == 0 ? 0 : -10));
            // Half the questions count only some kinds of evidence.
            var kinds = random.Next(2) == 0
                ? null
                : EvidenceKinds.All.Where(_ => random.Next(2) == 0).DefaultIfEmpty(EvidenceKinds.Unanchored).ToArray();
            yield return (asOf, knownAt, kinds);
        }
    }

    private static string Format(DateTimeOffset t) =>
        t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private Task<string> CompareAsync(IReadOnlyList<IEvent> log, string asOf, string knownAt, string[]? kinds) =>
        CompareAsync(Client, log, asOf, knownAt, kinds);

    /// <summary>The stance matrix at (asOf, knownAt, kinds) against the fold of <paramref name="log"/>; the answers, rendered.</summary>
    internal static async Task<string> CompareAsync(HttpClient client, IReadOnlyList<IEvent> log, string asOf, string knownAt, string[]? kinds)
    {
        var filter = kinds is null ? "" : $"&evidence={string.Join(',', kinds)}";
        var all = await client.GetFromJsonAsync<AllStances>($"/api/stances?asOf={asOf}&knownAt={Uri.EscapeDataString(knownAt)}{filter}");
        PositionLedger.Infrastructure.Instants.TryParseUpperBound(asOf, out var asOfValue).ShouldBeTrue();
        PositionLedger.Infrastructure.Instants.TryParseUpperBound(knownAt, out var knownAtValue).ShouldBeTrue();
        var lines = new List<string>();
        foreach (var party in Parties)
        {
            var expected = ReferenceFold.Stance(log, party, asOfValue, knownAtValue, kinds);
            var actual = all!.Parties.Single(p => p.Party == party).Issues
                .Select(i => new ReferenceFold.Answer(
                    i.Issue, i.Stance, i.StatementId, [.. i.Claims.Select(c => c.StatementId).Order(StringComparer.Ordinal)],
                    i.EvidenceKind))
                .OrderBy(a => a.Issue, StringComparer.Ordinal)
                .ToList();
            var render = (IEnumerable<ReferenceFold.Answer> answers) => string.Join("; ", answers.Select(a =>
                $"{a.Issue}={a.Stance}({a.EvidenceKind})@{a.StatementId}[{string.Join(",", a.ClaimIds)}]"));
            render(actual).ShouldBe(render(expected), $"{party} asOf={asOf} knownAt={knownAt}{filter}");
            lines.Add($"{party}: {render(actual)}");
        }
        return string.Join("\n", lines);
    }
}
