using Microsoft.AspNetCore.Http.HttpResults;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using PositionLedger.Sources;
using Wolverine.Http;
using PositionLedger.Reviews;

namespace PositionLedger.Statements;

public sealed record SourceInput(string? Outlet, string? Url = null, string? PublishedAt = null);

public sealed record ClaimedByInput(string? Party, string? Speaker);

/// <summary>
/// A party's stated position on an issue, or (with <see cref="ClaimedBy"/>) another party's claim about it.
/// Stance and dates arrive as text so that a bad value is reported against its field.
/// </summary>
public sealed record StateStatement(
    string? Party,
    string? Issue,
    string? Stance,
    string? Speaker,
    string? Quote,
    string? StatedAt,
    SourceInput? Source,
    string[]? Conditions = null,
    ClaimedByInput? ClaimedBy = null,
    EvidenceInput? Evidence = null)
{
    public const int MaxConditions = 20;

    /// <summary>One per app (a singleton): building a validator compiles its rules, which costs more than validating.</summary>
    public sealed class Validator : AbstractValidator<StateStatement>
    {
        public Validator(TimeProvider clock)
        {
            RuleFor(c => c.Party).Slug();
            RuleFor(c => c.Issue).Slug();
            RuleFor(c => c.Stance).NotEmpty()
                .Must(s => s is null || StanceWords.ByWord.ContainsKey(s))
                .WithMessage($"'stance' must be one of: {string.Join(", ", StanceWords.ByWord.Keys)}.");
            RuleFor(c => c.Speaker).Text(Rules.NameMaxLength);
            // Without a quote, evidence gives it: its first anchor's exact words.
            RuleFor(c => c.Quote).Text(Rules.TextMaxLength, prose: true).When(c => c.Evidence is null || c.Quote is not null);
            RuleFor(c => c.Evidence).SetValidator(new EvidenceInput.Validator()!);
            RuleFor(c => c.Quote).Equal(c => c.Evidence!.Anchors![0].Exact)
                .When(c => c.Quote is not null && c.Evidence?.Kind == EvidenceKinds.DirectQuote
                    && c.Evidence.Anchors is [{ Exact: not null }, ..])
                .WithMessage("A direct quote's 'quote' must be its first anchor's 'exact' (or leave 'quote' out).");
            RuleFor(c => c.StatedAt).NotEmpty().Instant(clock);
            RuleFor(c => c.Source).NotNull().SetValidator(new SourceValidator(clock)!);
            RuleFor(c => c.Conditions).Must(c => c is null || c.Length <= MaxConditions)
                .WithMessage($"'conditions' may list at most {MaxConditions} conditions.");
            RuleForEach(c => c.Conditions).Text(Rules.NameMaxLength * 2);
            RuleFor(c => c.ClaimedBy).SetValidator(new ClaimedByValidator()!);
            RuleFor(c => c.ClaimedBy!.Party).NotEqual(c => c.Party)
                .When(c => c.ClaimedBy is not null && c.Party is not null)
                .OverridePropertyName("claimedBy.party")
                .WithMessage("A claim is made by another party: 'claimedBy.party' must differ from 'party'.");
        }
    }

    private sealed class SourceValidator : AbstractValidator<SourceInput>
    {
        public SourceValidator(TimeProvider clock)
        {
            RuleFor(s => s.Outlet).Text(Rules.NameMaxLength);
            RuleFor(s => s.Url).HttpUrl();
            RuleFor(s => s.PublishedAt).Instant(clock);
        }
    }

    private sealed class ClaimedByValidator : AbstractValidator<ClaimedByInput>
    {
        public ClaimedByValidator()
        {
            RuleFor(c => c.Party).Slug();
            RuleFor(c => c.Speaker).Text(Rules.NameMaxLength);
        }
    }

    /// <summary>The content this command states, with the evidence its validation placed; call only once validated.</summary>
    public StatementContent ToContent(Evidence? evidence = null)
    {
        Instants.TryParse(StatedAt, out var statedAt, out var statedOnDate);
        DateTimeOffset? publishedAt = Instants.TryParse(Source!.PublishedAt, out var published, out _) ? published : null;
        return new StatementContent(
            Party!, Issue!, StanceWords.ByWord[Stance!], Speaker!, Quote ?? evidence?.Anchors[0].Exact ?? "", statedAt, statedOnDate,
            new Source(Source.Outlet!, Source.Url, publishedAt),
            Conditions ?? [],
            ClaimedBy is null ? null : new ClaimedBy(ClaimedBy.Party!, ClaimedBy.Speaker!),
            evidence);
    }
}

public static class StateStatementEndpoint
{
    public static async Task<(ProblemDetails, PlacedEvidence?)> ValidateAsync(
        StateStatement command, StateStatement.Validator validator, StatementReferences references, SourceTexts texts,
        IQuerySession session, CancellationToken ct)
    {
        var problem = Problems.Check(validator, command);
        if (problem.IsProblem()) return (problem, null);
        problem = await references.CheckAsync(session, command.Party!, command.Issue!, command.ClaimedBy?.Party, ct);
        if (problem.IsProblem()) return (problem, null);
        var (anchoring, evidence) = await EvidenceAnchoring.PlaceAsync(texts, session, command.Evidence, ct);
        return (anchoring, new PlacedEvidence(evidence));
    }

    [WolverinePost("/api/statements", OperationId = "stateStatement")]
    [Tags(ApiTags.Statements)]
    [EndpointSummary("Append a statement or a claim")]
    [EndpointDescription("Records a party's stated position on an issue, or (with claimedBy) another party's claim about it. "
        + "statedAt and source.publishedAt are a date (YYYY-MM-DD, the start of that UTC day) or an instant with offset, "
        + "never in the future. Answers 201 with the statement's id and version 1; under review, 202 with the proposal that waits "
        + "for a verifier. Needs an editor key.")]
    [RequestExample("""
        {
          "party": "russia", "issue": "ceasefire-30-day", "stance": "conditional",
          "speaker": "Vladimir Putin", "quote": "We are for it, but there are nuances.",
          "statedAt": "2025-03-13", "conditions": ["verification of the ceasefire"],
          "source": { "outlet": "Reuters", "url": "https://example.org/story", "publishedAt": "2025-03-13T18:00:00Z" }
        }
        """)]
    public static Results<Created<StatementAppended>, Accepted<ProposalAccepted>> Post(
        StateStatement command, PlacedEvidence evidence, Editorial editorial, IDocumentSession session)
    {
        var stated = new PositionStated(Guid.CreateVersion7(), command.ToContent(evidence.Value));
        if (editorial.RequireReview) return Proposals.Propose(session, stated.StatementId, 0, stated: stated);
        var id = stated.StatementId.ToString();
        session.Events.StartStream<Statement>(id, stated);
        return TypedResults.Created($"/api/statements/{id}", new StatementAppended(id, 1));
    }
}

