using System.Collections.Concurrent;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using Wolverine.Http;

namespace PositionLedger.Statements;

/// <summary>
/// A statement may only name registered parties and open issues. Neither is ever removed (each is an event),
/// so a reference found once stays valid: this node remembers it and checks it without a round trip from
/// then on. One not found is never remembered, so a party registered a moment later, on any node, is found
/// at the next check. One per app (a singleton).
/// </summary>
public sealed class StatementReferences
{
    private readonly ConcurrentDictionary<string, bool> _parties = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _issues = new(StringComparer.Ordinal);

    public async Task<ProblemDetails> CheckAsync(IQuerySession session, string party, string issue, string? claimedBy, CancellationToken ct)
    {
        if (_parties.ContainsKey(party) && (claimedBy is null || _parties.ContainsKey(claimedBy)) && _issues.ContainsKey(issue))
            return WolverineContinue.NoProblems;

        // One round trip for all lookups. Loaded one by one: PostgreSQL re-plans a lookup by an array of ids on
        // every call, while a lookup by one id keeps its prepared plan.
        var batch = session.CreateBatchQuery();
        var loadedParty = batch.Load<Party>(party);
        var loadedClaimant = claimedBy is null ? null : batch.Load<Party>(claimedBy);
        var loadedIssue = batch.Load<Issue>(issue);
        await batch.Execute(ct);
        var errors = new Dictionary<string, string[]>();
        if (!await FoundAsync(loadedParty, _parties, party)) errors["party"] = [$"No party '{party}' is registered."];
        if (loadedClaimant is not null && !await FoundAsync(loadedClaimant, _parties, claimedBy!))
            errors["claimedBy.party"] = [$"No party '{claimedBy}' is registered."];
        if (!await FoundAsync(loadedIssue, _issues, issue)) errors["issue"] = [$"No issue '{issue}' is open."];
        return errors.Count == 0 ? WolverineContinue.NoProblems : Problems.Invalid(errors);
    }

    /// <summary>Whether the lookup found it; remembered if so.</summary>
    private static async Task<bool> FoundAsync<T>(Task<T?> loaded, ConcurrentDictionary<string, bool> known, string id) where T : class
    {
        if (await loaded is null) return false;
        known[id] = true;
        return true;
    }

    /// <summary>For a database emptied under the running app (the tests do): nothing seen before counts.</summary>
    public void Forget()
    {
        _parties.Clear();
        _issues.Clear();
    }
}
