using Marten;
using Microsoft.AspNetCore.Http.HttpResults;

namespace PositionLedger.Reviews;

/// <summary>Whether statement writes wait for a second person's approval (<c>Editorial:RequireReview</c>, default off).</summary>
public sealed record Editorial(bool RequireReview)
{
    public const string RequireReviewSetting = "Editorial:RequireReview";

    /// <summary>The event header that names, on an approved change, who proposed it (Marten's user name is the approver).</summary>
    public const string ProposedByHeader = "proposed-by";
}

/// <summary>The answer to a write under review: the statement it concerns, the proposal, and its status.</summary>
public sealed record ProposalAccepted(string Id, string Proposal, string Status);

public static class Proposals
{
    /// <summary>Starts the proposal's stream in the request's session (saved with it) and answers 202.</summary>
    public static Accepted<ProposalAccepted> Propose(
        IDocumentSession session, Guid statementId, long baseVersion, PositionLedger.Statements.PositionStated? stated = null,
        PositionLedger.Statements.StatementCorrected? corrected = null, PositionLedger.Statements.StatementRetracted? retracted = null)
    {
        var proposal = Guid.CreateVersion7();
        session.Events.StartStream<Proposal>(Proposal.StreamKey(proposal),
            new ChangeProposed(proposal, statementId, baseVersion, session.LastModifiedBy ?? "", stated, corrected, retracted));
        return TypedResults.Accepted($"/api/reviews/{proposal}",
            new ProposalAccepted(statementId.ToString(), proposal.ToString(), ProposalStatuses.Pending));
    }
}
