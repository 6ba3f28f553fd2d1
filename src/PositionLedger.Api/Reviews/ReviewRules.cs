using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Reviews;

/// <summary>Who may decide a proposal, and whether the change it carries still applies.</summary>
public static class ReviewRules
{
    public static ProblemDetails CheckDecidable(Proposal? proposal, string id, string? decider)
    {
        if (proposal is null) return Problems.NotFound($"No proposal '{id}' exists.");
        if (proposal.Status != ProposalStatuses.Pending) return Problems.Conflict($"The proposal is already {proposal.Status}.");
        if (proposal.Change.ProposedBy == decider)
            return Problems.Forbidden("A proposal is approved or rejected by someone other than its author.");
        return WolverineContinue.NoProblems;
    }

    /// <summary>
    /// A change made against a version of the statement applies only while the statement is still at it.
    /// <paramref name="version"/> is the statement's version now, null when it does not exist.
    /// </summary>
    public static ProblemDetails CheckCurrent(ChangeProposed change, long? version, bool retracted)
    {
        if (change.Stated is not null)
            return version is null ? WolverineContinue.NoProblems : Problems.Conflict("The statement already exists.");
        if (version is null) return Problems.Conflict("The statement the proposal changes does not exist.");
        if (version != change.BaseVersion)
            return Problems.Conflict($"The proposal was made against version {change.BaseVersion} of the statement, which is now at "
                + $"version {version}: propose the change again.");
        return retracted
            ? Problems.Conflict("The statement is retracted; it can no longer be changed.")
            : WolverineContinue.NoProblems;
    }

    /// <summary>The statement event an approval appends.</summary>
    public static object ChangeOf(ChangeProposed change) =>
        (object?)change.Stated ?? (object?)change.Corrected ?? change.Retracted
        ?? throw new InvalidOperationException($"Proposal {change.ProposalId} carries no change.");
}
