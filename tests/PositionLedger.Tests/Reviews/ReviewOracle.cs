using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Tests.Stances;

namespace PositionLedger.Tests.Reviews;

/// <summary>
/// Random histories under review, made through the API: statements, corrections and retractions proposed by an
/// editor; approved or rejected by either verifier, left pending, or approved too late (stale). The reference fold is
/// given only what the proposal streams say: each approved change, recorded when it was approved. The API's answers
/// equal it at many (asOf, knownAt) pairs (knownAt also between a proposal and its approval), before and after a rebuild.
/// </summary>
public sealed class when_random_histories_under_review_are_checked_against_the_reference_fold(ReviewedApp app)
    : IClassFixture<ReviewedApp>, IAsyncLifetime
{
    private static readonly string[] Parties = when_random_histories_are_checked_against_the_reference_fold.Parties;
    private static readonly string[] Issues = when_random_histories_are_checked_against_the_reference_fold.Issues;

    private readonly HttpClient[] _verifiers =
        [app.ClientWithKey(ReviewedApp.FirstVerifierKey), app.ClientWithKey(ReviewedApp.SecondVerifierKey)];

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(Parties, Issues);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(11, 160)]
    [InlineData(12, 160)]
    public async Task the_api_agrees_with_a_fold_of_the_approved_changes_at_their_approval_times(int seed, int steps)
    {
        var random = new Random(seed);
        var tally = await GenerateAsync(random, steps);
        tally.Approved.ShouldBeGreaterThan(20);
        tally.Stale.ShouldBeGreaterThan(0, "some approvals come after the statement moved on");
        tally.Rejected.ShouldBeGreaterThan(0);

        var (approvedLog, proposedAt) = await ApprovedLogAsync();
        var questions = Questions(random, approvedLog, proposedAt).ToList();
        var before = new List<string>();
        foreach (var (asOf, knownAt) in questions)
            before.Add(await when_random_histories_are_checked_against_the_reference_fold.CompareAsync(app.Reader, approvedLog, asOf, knownAt, null));

        using (var daemon = await app.Store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync(
                PositionLedger.Revisions.Configuration.RevisionsProjection, TimeSpan.FromMinutes(5), CancellationToken.None);
        }
        await app.Services.GetRequiredService<RevisionsRebuild>().RunAsync(null, CancellationToken.None);
        var after = new List<string>();
        foreach (var (asOf, knownAt) in questions)
            after.Add(await when_random_histories_are_checked_against_the_reference_fold.CompareAsync(app.Reader, approvedLog, asOf, knownAt, null));
        after.ShouldBe(before);
    }

    private sealed class Tally
    {
        public int Approved, Rejected, Stale;
    }

    private async Task<Tally> GenerateAsync(Random random, int steps)
    {
        var live = new Dictionary<string, long>();
        var pending = new List<(string Proposal, string Statement, string Kind)>();
        var tally = new Tally();
        for (var i = 0; i < steps; i++)
        {
            var roll = random.NextDouble();
            if (roll < 0.4 || live.Count < 3 && pending.Count < 3)
            {
                var response = await app.Client.PostAsJsonAsync("/api/statements", RandomStatement(random));
                pending.Add(await ProposalAsync(response, "statement"));
            }
            else if (roll < 0.6 && live.Count > 0)
            {
                var (id, version) = live.ElementAt(random.Next(live.Count));
                // Often a second correction against the same version: whichever is approved second is stale.
                for (var n = random.Next(3) == 0 ? 2 : 1; n > 0; n--)
                {
                    var response = await app.Client.PostAsJsonAsync($"/api/statements/{id}/corrections", RandomCorrection(random, version));
                    if (response.StatusCode == HttpStatusCode.Accepted) pending.Add(await ProposalAsync(response, "correction"));
                }
            }
            else if (roll < 0.66 && live.Count > 0)
            {
                var (id, version) = live.ElementAt(random.Next(live.Count));
                var response = await app.Client.PostAsJsonAsync($"/api/statements/{id}/retraction",
                    new { expectedVersion = version, reason = "Withdrawn" });
                pending.Add(await ProposalAsync(response, "retraction"));
            }
            else if (pending.Count > 0)
            {
                // Most proposals are decided in a different order than they were made; some stay pending for ever.
                var (proposal, statement, kind) = pending[random.Next(pending.Count)];
                pending.RemoveAll(p => p.Proposal == proposal);
                var verifier = _verifiers[random.Next(2)];
                if (random.Next(5) == 0)
                {
                    (await verifier.PostAsJsonAsync($"/api/reviews/{proposal}/reject", new { reason = "Not sourced" })).EnsureSuccessStatusCode();
                    tally.Rejected++;
                    continue;
                }
                var approved = await verifier.PostAsJsonAsync($"/api/reviews/{proposal}/approve", new { note = "Checked" });
                if (approved.StatusCode == HttpStatusCode.Conflict)
                {
                    tally.Stale++;
                    continue;
                }
                approved.StatusCode.ShouldBe(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
                tally.Approved++;
                if (kind == "retraction") live.Remove(statement);
                else live[statement] = live.GetValueOrDefault(statement) + 1;
            }
        }
        return tally;
    }

    private static async Task<(string, string, string)> ProposalAsync(HttpResponseMessage response, string kind)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (body["proposal"]!.GetValue<string>(), body["id"]!.GetValue<string>(), kind);
    }

    private static object RandomStatement(Random random)
    {
        var party = Pick(random, Parties);
        return new
        {
            party, issue = Pick(random, Issues), stance = RandomStance(random), statedAt = RandomStatedAt(random), speaker = "Speaker",
            quote = "Quote", source = new { outlet = "Wire" },
            claimedBy = random.Next(6) == 0 ? new { party = Pick(random, Parties.Where(p => p != party).ToArray()), speaker = "Claimant" } : null,
        };
    }

    private static JsonObject RandomCorrection(Random random, long version)
    {
        var correction = new JsonObject { ["expectedVersion"] = version, ["reason"] = "Corrected" };
        switch (random.Next(3))
        {
            case 0: correction["stance"] = RandomStance(random); break;
            case 1: correction["statedAt"] = RandomStatedAt(random); break;
            default: correction["issue"] = Pick(random, Issues); break;
        }
        return correction;
    }

    private static string RandomStance(Random random) =>
        Pick(random, ["proposes", "supports", "accepts", "conditional", "noncommittal", "opposes", "rejects", "withdraws"]);

    private static string RandomStatedAt(Random random) => $"2025-03-{1 + random.Next(8):00}";

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    /// <summary>
    /// The ledger as review defines it, from the proposal streams: each approved change, with the record time and
    /// sequence of the event its approval appended; and when each proposal was made (for knownAt between a proposal and
    /// its decision).
    /// </summary>
    private async Task<(IReadOnlyList<IEvent> Log, DateTimeOffset[] ProposedAt)> ApprovedLogAsync()
    {
        await using var session = app.Store.QuerySession();
        var all = await session.Events.QueryAllRawEvents().OrderBy(e => e.Sequence).ToListAsync();
        var raw = all.Where(e => e.StreamKey!.StartsWith(Proposal.StreamPrefix)).ToList();
        // Each approval's statement event, appended in the same transaction: its own stamp is the change's record time
        // (a transaction's events are stamped apart, by more than a millisecond on a busy machine).
        var statementEvents = all.Where(e => e.Data is PositionStated or StatementCorrected or StatementRetracted).ToLookup(e => e.StreamKey);
        var proposals = raw.Where(e => e.Data is ChangeProposed).ToDictionary(e => ((ChangeProposed)e.Data).ProposalId, e => (ChangeProposed)e.Data);
        var log = raw.Where(e => e.Data is ProposalApproved).Select(e =>
        {
            var change = proposals[((ProposalApproved)e.Data).ProposalId];
            IEvent effect = change switch
            {
                { Stated: { } stated } => new Event<PositionStated>(stated),
                { Corrected: { } corrected } => new Event<StatementCorrected>(corrected),
                _ => new Event<StatementRetracted>(change.Retracted!),
            };
            var appended = statementEvents[change.StatementId.ToString()].MinBy(s => Math.Abs(s.Sequence - e.Sequence))!;
            effect.Timestamp = appended.Timestamp;
            effect.Sequence = appended.Sequence;
            return effect;
        }).ToList();
        return (log, [.. raw.Where(e => e.Data is ChangeProposed).Select(e => e.Timestamp)]);
    }

    private static IEnumerable<(string AsOf, string KnownAt)> Questions(Random random, IReadOnlyList<IEvent> log, DateTimeOffset[] proposedAt)
    {
        var approvedAt = log.Select(e => e.Timestamp).ToArray();
        for (var i = 0; i < 40; i++)
        {
            // An approval's events are stamped microseconds apart in one transaction: ask a millisecond either side of it.
            var knownAt = (random.Next(3)) switch
            {
                0 => proposedAt[random.Next(proposedAt.Length)],
                1 => approvedAt[random.Next(approvedAt.Length)].AddMilliseconds(-1),
                _ => approvedAt[random.Next(approvedAt.Length)].AddMilliseconds(1),
            };
            yield return ($"2025-03-{random.Next(1, 10):00}",
                knownAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        }
    }
}
