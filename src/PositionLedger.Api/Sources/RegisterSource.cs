using System.Security.Cryptography;
using System.Text;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using Wolverine.Marten;

namespace PositionLedger.Sources;

public sealed record TranslationInput(string? From, string? Method, string? By = null);

/// <summary>Archives a document that statements can be anchored in.</summary>
public sealed record RegisterSource(
    string? Id, string? Title, string? Outlet, string? Language, string? Text,
    string? Url = null, string? PublishedAt = null, TranslationInput? Translation = null)
{
    public const int MaxTextBytes = 2 * 1024 * 1024;

    /// <summary>The text's limit, once escaped as JSON, and the rest of the body.</summary>
    public const long MaxBodyBytes = 3L * MaxTextBytes;

    public static readonly string[] TranslationMethods = ["machine", "human"];

    /// <summary>The event this command records; call only once it has been validated.</summary>
    public SourceRegistered Registered()
    {
        Instants.TryParse(PublishedAt, out var published, out _);
        return new SourceRegistered(
            Id!, Title!, Outlet!, Url, PublishedAt is null ? null : published, Language!, Text!,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Text!))),
            Translation is null ? null : new Translation(Translation.From!, Translation.Method!, Translation.By));
    }

    public sealed class Validator : AbstractValidator<RegisterSource>
    {
        public Validator(TimeProvider clock)
        {
            RuleFor(c => c.Id).Slug();
            RuleFor(c => c.Title).Text(Rules.NameMaxLength * 2);
            RuleFor(c => c.Outlet).Text(Rules.NameMaxLength);
            RuleFor(c => c.Language).NotEmpty().LanguageTag();
            RuleFor(c => c.Text).NotEmpty().Clean(prose: true)
                .Must(t => t is null || Encoding.UTF8.GetByteCount(t) <= MaxTextBytes)
                .WithMessage($"'text' may be at most {MaxTextBytes} bytes of UTF-8.");
            RuleFor(c => c.Url).HttpUrl();
            RuleFor(c => c.PublishedAt).Instant(clock);
            RuleFor(c => c.Translation!.From).NotEmpty().LanguageTag().OverridePropertyName("translation.from")
                .When(c => c.Translation is not null);
            RuleFor(c => c.Translation!.Method).Must(m => TranslationMethods.Contains(m)).OverridePropertyName("translation.method")
                .WithMessage($"'translation.method' must be one of: {string.Join(", ", TranslationMethods)}.")
                .When(c => c.Translation is not null);
            RuleFor(c => c.Translation!.By).Text(Rules.NameMaxLength).OverridePropertyName("translation.by")
                .When(c => c.Translation?.By is not null);
        }
    }
}

/// <summary>A source as lists show it: everything but the text.</summary>
public sealed record SourceSummary(
    string Id, string Title, string Outlet, string? Url, string? PublishedAt, string Language, string Sha256, int Length,
    Translation? Translation)
{
    public static SourceSummary Of(ArchivedSource s) => new(
        s.Id, s.Title, s.Outlet, s.Url, s.PublishedAt is { } p ? Instants.Format(p, false) : null, s.Language, s.Sha256,
        TextAnchors.CodePoints(s.Text), s.Translation);
}

public static class RegisterSourceEndpoint
{
    public const string Route = "/api/sources";

    public static async Task<ProblemDetails> ValidateAsync(
        RegisterSource command, RegisterSource.Validator validator, IQuerySession session, CancellationToken ct)
    {
        var problem = Problems.Check(validator, command);
        if (problem.IsProblem()) return problem;
        return await session.LoadAsync<ArchivedSource>(command.Id!, ct) is null
            ? WolverineContinue.NoProblems
            : Problems.Conflict($"A source with id '{command.Id}' is already registered; a changed text is a new source.");
    }

    [WolverinePost(Route, OperationId = "registerSource")]
    [Tags(ApiTags.Sources)]
    [EndpointSummary("Archive a source")]
    [EndpointDescription("Registers a document's text (up to 2 MB of UTF-8) under a slug id, with its language (BCP 47) and, for a "
        + "translation, where it was translated from and how. The server computes its sha256. A source is never edited: a changed "
        + "text is a new source. Answers 201 with the source without its text; 409 if the id exists. Needs an editor key.")]
    [RequestExample("""
        {
          "id": "wire-2025-03-14", "title": "Kremlin studies the proposal", "outlet": "Wire", "language": "en",
          "text": "Peskov said the Kremlin would study the proposal.", "publishedAt": "2025-03-14",
          "translation": { "from": "ru", "method": "human", "by": "Desk" }
        }
        """)]
    public static (Created<SourceSummary>, IStartStream) Post(RegisterSource command)
    {
        var registered = command.Registered();
        var source = ArchivedSource.From(registered);
        return (TypedResults.Created($"{Route}/{source.Id}", SourceSummary.Of(source)),
            MartenOps.StartStream<ArchivedSource>(ArchivedSource.StreamKey(source.Id), registered));
    }
}
