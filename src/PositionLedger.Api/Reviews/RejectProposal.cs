using FluentValidation;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Reviews;

/// <summary>A verifier's rejection: the proposed change never reaches the statement; the proposal keeps the reason.</summary>
public sealed record RejectProposal(string? Reason)
{
    public sealed class Validator : AbstractValidator<RejectProposal>
    {
        public Validator() => RuleFor(c => c.Reason).Text(Rules.NameMaxLength * 5, prose: true);
    }
}

public static class RejectProposalEndpoint
{
    private static readonly RejectProposal.Validator Validator = new();

    public static Task<IEventStream<Proposal>?> LoadAsync(string proposal, IDocumentSession session, CancellationToken ct) =>
        ApproveProposalEndpoint.LoadAsync(proposal, session, ct);

    public static ProblemDetails Validate(string proposal, RejectProposal command, IEventStream<Proposal>? stream, IDocumentSession session)
    {
        var problem = ReviewRules.CheckDecidable(stream?.Aggregate, proposal, session.LastModifiedBy);
        return problem.IsProblem() ? problem : Problems.Check(Validator, command);
    }

    [WolverinePost("/api/reviews/{proposal}/reject", OperationId = "rejectProposal")]
    [Tags(ApiTags.Reviews)]
    [EndpointSummary("Reject a proposal")]
    [EndpointDescription("Closes the proposal without changing its statement; the reason stays on the record. Needs a verifier key "
        + "other than the proposer's: 403 for one's own proposal, 409 when it was decided already.")]
    [Parameter("proposal", "The proposal's id (a GUID).", Value = ParameterValue.StatementId)]
    [RequestExample("""{ "reason": "The quote is the reporter's paraphrase, not Peskov's words." }""")]
    public static Ok<ProposalDecided> Post(RejectProposal command, IEventStream<Proposal> stream, IDocumentSession session)
    {
        var change = stream.Aggregate!.Change;
        stream.AppendOne(new ProposalRejected(change.ProposalId, session.LastModifiedBy ?? "", command.Reason!));
        return TypedResults.Ok(
            new ProposalDecided(change.ProposalId.ToString(), ProposalStatuses.Rejected, change.StatementId.ToString(), null));
    }
}
