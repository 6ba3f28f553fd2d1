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
        var known = Effective(log, knownAt, kinds);
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

    /// <summary>Rule 1: the effective content of each statement at knownAt, only the kinds of evidence asked for.</summary>
    private static Dictionary<Guid, Known> Effective(IReadOnlyList<IEvent> log, DateTimeOffset knownAt, string[]? kinds)
    {
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

        return known;
    }

    public sealed record ClaimAnswer(string StatementId, string Resolution, string? ResolvedBy);

    /// <summary>Rule 6: each claim the party made, resolved by the claimed party's own next statement on the issue.</summary>
    public static IReadOnlyList<ClaimAnswer> ClaimsMade(
        IReadOnlyList<IEvent> log, string party, DateTimeOffset asOf, DateTimeOffset knownAt, string[]? kinds = null)
    {
        var known = Effective(log, knownAt, kinds);
        return [.. known.Where(k => k.Value.Content.ClaimedBy?.Party == party && k.Value.Content.StatedAt <= asOf)
            .OrderBy(k => k.Value.Content.StatedAt).ThenBy(k => k.Value.FirstSequence)
            .Select(claim =>
            {
                var resolver = known.Where(k => k.Value.Content.ClaimedBy is null
                        && k.Value.Content.Party == claim.Value.Content.Party && k.Value.Content.Issue == claim.Value.Content.Issue
                        && k.Value.Content.StatedAt > claim.Value.Content.StatedAt && k.Value.Content.StatedAt <= asOf)
                    .OrderBy(k => k.Value.Content.StatedAt).ThenByDescending(k => k.Value.FirstSequence)
                    .Select(k => (KeyValuePair<Guid, Known>?)k).FirstOrDefault();
                var resolution = resolver is null ? "open"
                    : Sign(resolver.Value.Value.Content.Stance) == Sign(claim.Value.Content.Stance) ? "borne-out" : "contradicted";
                return new ClaimAnswer(claim.Key.ToString(), resolution, resolver?.Key.ToString());
            })];
    }

    public sealed record FlipAnswer(string Issue, string Before, string After, int? Swing);

    /// <summary>Rule 7: consecutive own statements per issue whose sign classes differ, the later one in [from, to].</summary>
    public static IReadOnlyList<FlipAnswer> Flips(
        IReadOnlyList<IEvent> log, string party, DateTimeOffset? from, DateTimeOffset to, DateTimeOffset knownAt, string[]? kinds = null)
    {
        var own = Effective(log, knownAt, kinds).Where(k => k.Value.Content.ClaimedBy is null && k.Value.Content.Party == party
            && k.Value.Content.StatedAt <= to).ToList();
        var flips = new List<(DateTimeOffset StatedAt, long Sequence, FlipAnswer Flip)>();
        foreach (var issue in own.GroupBy(k => k.Value.Content.Issue))
        {
            var ordered = issue.OrderBy(k => k.Value.Content.StatedAt).ThenBy(k => k.Value.FirstSequence).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                var (before, after) = (ordered[i - 1], ordered[i]);
                if (Sign(before.Value.Content.Stance) == Sign(after.Value.Content.Stance)) continue;
                if (from is { } start && after.Value.Content.StatedAt < start) continue;
                flips.Add((after.Value.Content.StatedAt, after.Value.FirstSequence, new FlipAnswer(issue.Key, before.Key.ToString(),
                    after.Key.ToString(), after.Value.Content.Stance.Score() - before.Value.Content.Stance.Score())));
            }
        }
        return [.. flips.OrderBy(f => f.StatedAt).ThenBy(f => f.Sequence).Select(f => f.Flip)];
    }

    public sealed record PointAnswer(DateTimeOffset At, int? Gap, string Scores);

    /// <summary>Rule 8: the gap between the parties' scores on the issue at from and at each later own statedAt up to to.</summary>
    public static IReadOnlyList<PointAnswer> Convergence(
        IReadOnlyList<IEvent> log, string issue, DateTimeOffset? from, DateTimeOffset to, DateTimeOffset knownAt, string[]? kinds = null)
    {
        var own = Effective(log, knownAt, kinds).Values.Where(k => k.Content.ClaimedBy is null && k.Content.Issue == issue).ToList();
        // Default from: the issue's first statedAt up to to. Each point is as of its own instant (from may lie after to).
        if ((from ?? own.Where(k => k.Content.StatedAt <= to).Select(k => (DateTimeOffset?)k.Content.StatedAt).Min()) is not { } first)
            return [];
        var instants = own.Select(k => k.Content.StatedAt).Where(t => t > first && t <= to).Distinct().Order().Prepend(first);
        return [.. instants.Select(at =>
        {
            var scores = own.Where(k => k.Content.StatedAt <= at).GroupBy(k => k.Content.Party)
                .Select(g => (Party: g.Key,
                    Basis: g.OrderByDescending(k => k.Content.StatedAt).ThenByDescending(k => k.FirstSequence).First()))
                .Where(b => b.Basis.Content.Stance.Score() is not null)
                .OrderBy(b => b.Party, StringComparer.Ordinal)
                .Select(b => (b.Party, Score: b.Basis.Content.Stance.Score()!.Value))
                .ToList();
            return new PointAnswer(at, scores.Count < 2 ? null : scores.Max(s => s.Score) - scores.Min(s => s.Score),
                string.Join(",", scores.Select(s => $"{s.Party}={s.Score}")));
        })];
    }

    /// <summary>The sign classes of the analysis rules, written out again here rather than taken from the app.</summary>
    private static string Sign(PositionLedger.Statements.Stance stance) => stance switch
    {
        PositionLedger.Statements.Stance.Proposes or PositionLedger.Statements.Stance.Supports
            or PositionLedger.Statements.Stance.Accepts or PositionLedger.Statements.Stance.Conditional => "positive",
        PositionLedger.Statements.Stance.Noncommittal => "neutral",
        PositionLedger.Statements.Stance.Opposes or PositionLedger.Statements.Stance.Rejects => "negative",
        _ => "none",
    };
}
