using JasperFx.Events;
using PositionLedger.Statements;

namespace PositionLedger.Tests.Stances;

/// <summary>
/// The stance rules of DESIGN.md written as plainly as possible over the raw event log, with no index
/// and no revision table: the oracle the projection's answers are checked against.
/// </summary>
public static class ReferenceFold
{
    public sealed record Answer(string Issue, string? Stance, string? StatementId, string[] ClaimIds, string? EvidenceKind);

    private sealed record Known(StatementContent Content, long FirstSequence);

    /// <param name="kinds">The evidence filter: statements of other kinds do not exist for the answer (null: every kind).</param>
    public static IReadOnlyList<Answer> Stance(
        IReadOnlyList<IEvent> log, string party, DateTimeOffset asOf, DateTimeOffset knownAt, string[]? kinds = null)
    {
        // Rule 1: the effective content of each statement at knownAt.
        var known = new Dictionary<Guid, Known>();
        foreach (var e in log.Where(e => e.Timestamp <= knownAt).OrderBy(e => e.Sequence))
        {
            switch (e.Data)
            {
                case PositionStated s: known[s.StatementId] = new Known(s.Content, e.Sequence); break;
                case StatementCorrected c: known[c.StatementId] = known[c.StatementId] with { Content = c.Corrected }; break;
                case StatementRetracted r: known.Remove(r.StatementId); break;
            }
        }
        if (kinds is not null)
        {
            foreach (var id in known.Where(k => !kinds.Contains(k.Value.Content.EvidenceKind)).Select(k => k.Key).ToList())
                known.Remove(id);
        }

        var answers = new List<Answer>();
        foreach (var issue in known.Values.Select(k => k.Content.Issue).Distinct().Order(StringComparer.Ordinal))
        {
            var about = known
                .Where(k => k.Value.Content.Party == party && k.Value.Content.Issue == issue && k.Value.Content.StatedAt <= asOf)
                .ToList();
            // Rule 2: own statements only; latest statedAt; on a tie the one first recorded later.
            var basis = about.Where(k => k.Value.Content.ClaimedBy is null)
                .OrderByDescending(k => k.Value.Content.StatedAt).ThenByDescending(k => k.Value.FirstSequence)
                .Select(k => (KeyValuePair<Guid, Known>?)k).FirstOrDefault();
            // Rule 3: claims not older than the basis.
            var claims = about.Where(k => k.Value.Content.ClaimedBy is not null
                    && (basis is null || k.Value.Content.StatedAt >= basis.Value.Value.Content.StatedAt))
                .Select(k => k.Key.ToString()).Order(StringComparer.Ordinal).ToArray();
            var stance = basis?.Value.Content.Stance is { } s && s != PositionLedger.Statements.Stance.Withdraws ? s.Word() : null;
            // Rule 5: nothing to show, nothing shown.
            if (stance is null && claims.Length == 0) continue;
            answers.Add(new Answer(issue, stance, basis?.Key.ToString(), claims, basis?.Value.Content.EvidenceKind));
        }
        return answers;
    }
}
