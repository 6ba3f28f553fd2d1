using JasperFx.Events;
using PositionLedger.Statements;

namespace PositionLedger.Reviews;

// Under review a statement write is first a proposal, a stream of its own: the change it would make waits there, and
// reaches the statement's stream only when a second person approves it. Record time is therefore approval time.

/// <summary>
/// A statement write waiting for a verifier: exactly one of <see cref="Stated"/>, <see cref="Corrected"/> and
/// <see cref="Retracted"/>, made against <see cref="BaseVersion"/> of the statement (0 for a new one).
/// </summary>
public sealed record ChangeProposed(
    Guid ProposalId, Guid StatementId, long BaseVersion, string ProposedBy,
    PositionStated? Stated = null, StatementCorrected? Corrected = null, StatementRetracted? Retracted = null)
{
    public string Kind =>
        Stated is not null ? ProposalKinds.Statement : Corrected is not null ? ProposalKinds.Correction : ProposalKinds.Retraction;
}

public sealed record ProposalApproved(Guid ProposalId, string ApprovedBy, string? Note);

public sealed record ProposalRejected(Guid ProposalId, string RejectedBy, string Reason);

public static class ProposalKinds
{
    public const string Statement = "statement", Correction = "correction", Retraction = "retraction";
}

public static class ProposalStatuses
{
    public const string Pending = "pending", Approved = "approved", Rejected = "rejected";

    public static readonly string[] All = [Pending, Approved, Rejected];
}

/// <summary>A proposal and its decision, kept inline as a snapshot: the review queue is a query over these.</summary>
public sealed record Proposal(
    string Id,
    ChangeProposed Change,
    DateTimeOffset ProposedAt,
    string Status,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? Note,
    long Version)
{
    /// <summary>Proposal streams are named apart from statement streams, so that every reader of the log can leave them out.</summary>
    public const string StreamPrefix = "proposal-";

    public static string StreamKey(Guid proposal) => $"{StreamPrefix}{proposal}";

    public string Kind => Change.Kind;

    public static Proposal Create(IEvent<ChangeProposed> e) =>
        new(e.StreamKey!, e.Data, e.Timestamp, ProposalStatuses.Pending, null, null, null, e.Version);

    public Proposal Apply(IEvent<ProposalApproved> e) =>
        this with
        {
            Status = ProposalStatuses.Approved, DecidedBy = e.Data.ApprovedBy, DecidedAt = e.Timestamp, Note = e.Data.Note, Version = e.Version,
        };

    public Proposal Apply(IEvent<ProposalRejected> e) =>
        this with
        {
            Status = ProposalStatuses.Rejected, DecidedBy = e.Data.RejectedBy, DecidedAt = e.Timestamp, Note = e.Data.Reason, Version = e.Version,
        };
}
