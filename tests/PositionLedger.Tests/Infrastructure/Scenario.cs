using System.Net.Http.Json;
using Marten;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Stances;
using PositionLedger.Statements;

namespace PositionLedger.Tests.Infrastructure;

/// <summary>Scenario helpers: given these events, when this request, then this answer.</summary>
public static class Scenario
{
    public static readonly Source Wire = new("Wire report", null, null);

    public static PositionStated Stated(Guid id, string party, string issue, Stance stance, string statedAt,
        string speaker = "Speaker", string[]? conditions = null, ClaimedBy? claimedBy = null, string quote = "A quote.")
    {
        if (!PositionLedger.Infrastructure.Instants.TryParse(statedAt, out var at, out var onDate))
            throw new ArgumentException($"Not a date or instant: {statedAt}", nameof(statedAt));
        return new PositionStated(id,
            new StatementContent(party, issue, stance, speaker, quote, at, onDate, Wire, conditions ?? [], claimedBy));
    }

    public static PositionStated Stated(string party, string issue, Stance stance, string statedAt,
        string speaker = "Speaker", string[]? conditions = null, ClaimedBy? claimedBy = null) =>
        Stated(Guid.NewGuid(), party, issue, stance, statedAt, speaker, conditions, claimedBy);

    public static PositionStated Claimed(string byParty, string aboutParty, string issue, Stance stance, string statedAt,
        string speaker = "Claimant") =>
        Stated(aboutParty, issue, stance, statedAt, speaker, claimedBy: new ClaimedBy(byParty, speaker));

    /// <summary>Appends each event in its own transaction, in the order given, so each has its own record time.</summary>
    public static async Task GivenAsync(this AppFixture app, params object[] events)
    {
        foreach (var e in events)
        {
            await using var session = app.Store.LightweightSession();
            switch (e)
            {
                case PartyRegistered p: session.Events.StartStream<Party>(Party.StreamKey(p.PartyId), p); break;
                case IssueOpened i: session.Events.StartStream<Issue>(Issue.StreamKey(i.IssueId), i); break;
                case PositionStated s: session.Events.StartStream<Statement>(s.StatementId.ToString(), s); break;
                case StatementCorrected c: session.Events.Append(c.StatementId.ToString(), c); break;
                case StatementRetracted r: session.Events.Append(r.StatementId.ToString(), r); break;
                default: throw new ArgumentException($"No scenario for {e.GetType().Name}");
            }
            await session.SaveChangesAsync();
        }
    }

    public static Task GivenPartiesAndIssuesAsync(this AppFixture app, string[] parties, string[] issues) =>
        app.GivenAsync([
            .. parties.Select(p => (object)new PartyRegistered(p, p.ToUpperInvariant(), [])),
            .. issues.Select(i => (object)new IssueOpened(i, i, null)),
        ]);

    public static async Task<PartyStance> StanceAsync(this HttpClient client, string party, string? asOf = null, string? knownAt = null)
    {
        var query = new List<string>();
        if (asOf is not null) query.Add($"asOf={Uri.EscapeDataString(asOf)}");
        if (knownAt is not null) query.Add($"knownAt={Uri.EscapeDataString(knownAt)}");
        var response = await client.GetAsync($"/api/parties/{party}/stance?{string.Join('&', query)}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<PartyStance>())!;
    }

    public static IssueStance? On(this PartyStance stance, string issue) => stance.Issues.SingleOrDefault(i => i.Issue == issue);
}
