using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;

namespace PositionLedger.Sources;

/// <summary>How the ledger knows a statement: the kind of evidence, and where in which archived sources it stands.</summary>
public sealed record Evidence(string Kind, Anchor[] Anchors)
{
    public bool SameAs(Evidence? other) => other is not null && Kind == other.Kind && Anchors.SequenceEqual(other.Anchors);
}

public static class EvidenceKinds
{
    public const string DirectQuote = "direct-quote";
    public const string Paraphrase = "paraphrase";
    public const string ReportedAct = "reported-act";
    public const string Inference = "inference";

    /// <summary>The kind of every statement given without evidence.</summary>
    public const string Unanchored = "unanchored";

    /// <summary>What a client may give.</summary>
    public static readonly string[] Given = [DirectQuote, Paraphrase, ReportedAct, Inference];

    /// <summary>What an answer may say, and a filter may ask for.</summary>
    public static readonly string[] All = [.. Given, Unanchored];

    public static string Of(Evidence? evidence) => evidence?.Kind ?? Unanchored;

    /// <summary>The evidence filter as the API description states it.</summary>
    public const string FilterDescription = "Only statements of these kinds of evidence exist for the answer, comma-separated: "
        + "direct-quote, paraphrase, reported-act, inference, unanchored. Default: every kind.";

    /// <summary>
    /// The evidence filter of a read (<c>evidence=direct-quote,paraphrase</c>): only statements of those kinds exist for
    /// the answer. Absent: every kind. An unknown kind is a 400 naming <c>evidence</c>.
    /// </summary>
    public static ProblemDetails TryReadFilter(string? evidence, out string[] kinds)
    {
        kinds = All;
        if (evidence is null) return Wolverine.Http.WolverineContinue.NoProblems;
        var asked = evidence.Split(',', StringSplitOptions.TrimEntries);
        if (asked.Any(k => !All.Contains(k)))
            return Problems.Invalid("evidence", $"'evidence' must list kinds from: {string.Join(", ", All)} (comma-separated).");
        kinds = [.. asked.Distinct()];
        return Wolverine.Http.WolverineContinue.NoProblems;
    }
}

/// <summary>The evidence filter of a read, as the API description states it: kinds of evidence, comma-separated.</summary>
public sealed class EvidenceFilterAttribute() : WordListParameterAttribute("evidence", EvidenceKinds.FilterDescription, EvidenceKinds.All)
{
}

/// <summary>Evidence as a client sends it: anchors may leave out their context and position, the server finds them.</summary>
public sealed record EvidenceInput(string? Kind, AnchorInput[]? Anchors)
{
    public const int MaxAnchors = 20;
    public const int MaxContext = 200;

    public static EvidenceInput Of(Evidence evidence) =>
        new(evidence.Kind, [.. evidence.Anchors.Select(a => new AnchorInput(a.Source, a.Exact, a.Prefix, a.Suffix, a.Start, a.End))]);

    public sealed class Validator : AbstractValidator<EvidenceInput>
    {
        public Validator()
        {
            RuleFor(e => e.Kind).NotEmpty().Must(k => k is null || EvidenceKinds.Given.Contains(k))
                .WithMessage($"'{{PropertyName}}' must be one of: {string.Join(", ", EvidenceKinds.Given)}.");
            RuleFor(e => e.Anchors).NotEmpty().WithMessage("'{PropertyName}' must list at least one anchor.")
                .Must(a => a is null || a.Length <= MaxAnchors).WithMessage($"'{{PropertyName}}' may list at most {MaxAnchors} anchors.");
            RuleForEach(e => e.Anchors).NotNull().SetValidator(new AnchorValidator());
        }
    }

    private sealed class AnchorValidator : AbstractValidator<AnchorInput>
    {
        public AnchorValidator()
        {
            RuleFor(a => a.Source).Slug();
            RuleFor(a => a.Exact).Text(Rules.TextMaxLength, prose: true);
            RuleFor(a => a.Prefix).OptionalText(MaxContext, prose: true);
            RuleFor(a => a.Suffix).OptionalText(MaxContext, prose: true);
            RuleFor(a => a.Start).GreaterThanOrEqualTo(0);
            RuleFor(a => a.End).GreaterThanOrEqualTo(0);
        }
    }
}

/// <summary>Places a statement's anchors in the archived texts they name (<see cref="TextAnchors"/>).</summary>
public static class EvidenceAnchoring
{
    /// <summary>The evidence with every anchor complete, or a 400 naming the anchor that cannot be placed and why.</summary>
    public static async Task<(ProblemDetails Problem, Evidence? Evidence)> PlaceAsync(
        SourceTexts texts, IQuerySession session, EvidenceInput? input, CancellationToken ct)
    {
        if (input is null) return (Wolverine.Http.WolverineContinue.NoProblems, null);
        var sources = await LoadAsync(texts, session, [input], ct);
        var (evidence, field, problem) = Place(sources, input);
        return evidence is null ? (Problems.Invalid(field!, problem!), null) : (Wolverine.Http.WolverineContinue.NoProblems, evidence);
    }

    /// <summary>The sources that evidence names, by id, in one query (an import places many statements' anchors).</summary>
    public static Task<IReadOnlyDictionary<string, ArchivedSource>> LoadAsync(
        SourceTexts texts, IQuerySession session, IEnumerable<EvidenceInput> inputs, CancellationToken ct) =>
        texts.LoadAsync(session, inputs.SelectMany(e => e.Anchors ?? []).Select(a => a.Source!), ct);

    /// <summary>The evidence placed, or the field (<c>evidence.anchors[0].exact</c>) that cannot be and why.</summary>
    public static (Evidence? Evidence, string? Field, string? Problem) Place(
        IReadOnlyDictionary<string, ArchivedSource> sources, EvidenceInput input)
    {
        var anchors = input.Anchors!;
        var placed = new Anchor[anchors.Length];
        for (var i = 0; i < anchors.Length; i++)
        {
            var field = $"evidence.anchors[{i}]";
            if (!sources.TryGetValue(anchors[i].Source!, out var source))
                return (null, $"{field}.source", $"No source '{anchors[i].Source}' is registered.");
            var (anchor, problem) = TextAnchors.Place(source.Id, source.Text, anchors[i]);
            if (anchor is null) return (null, $"{field}.{FieldOf(problem!)}", problem);
            placed[i] = anchor;
        }
        return (new Evidence(input.Kind!, placed), null, null);
    }

    private static string FieldOf(string problem) =>
        problem.StartsWith("'start'", StringComparison.Ordinal) ? "start"
        : problem.StartsWith("'prefix'", StringComparison.Ordinal) ? "prefix"
        : "exact";
}

/// <summary>The evidence a command's validation placed, handed to its endpoint (none when the command gave none).</summary>
public sealed record PlacedEvidence(Evidence? Value);
