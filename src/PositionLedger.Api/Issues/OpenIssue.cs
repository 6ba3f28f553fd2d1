using Microsoft.AspNetCore.Http.HttpResults;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using Wolverine.Marten;

namespace PositionLedger.Issues;

public sealed record OpenIssue(string? Id, string? Title, string? Description = null)
{
    /// <summary>The event this command records; call only once it has been validated.</summary>
    public IssueOpened Opened() => new(Id!, Title!, Description);

    public sealed class Validator : AbstractValidator<OpenIssue>
    {
        public Validator()
        {
            RuleFor(c => c.Id).Slug();
            RuleFor(c => c.Title).Text(Rules.NameMaxLength);
            RuleFor(c => c.Description).OptionalText(Rules.TextMaxLength, prose: true);
        }
    }
}

public static class OpenIssueEndpoint
{
    private static readonly OpenIssue.Validator Validator = new();

    public static async Task<ProblemDetails> ValidateAsync(OpenIssue command, IQuerySession session, CancellationToken ct)
    {
        var problem = Problems.Check(Validator, command);
        if (problem.IsProblem()) return problem;
        return await session.LoadAsync<Issue>(command.Id!, ct) is null
            ? WolverineContinue.NoProblems
            : Problems.Conflict($"An issue with id '{command.Id}' is already open.");
    }

    [WolverinePost("/api/issues", OperationId = "openIssue")]
    [Tags(ApiTags.Issues)]
    [EndpointSummary("Open an issue")]
    [EndpointDescription("Opens a negotiable question under a slug id; 409 if the id is taken. Needs an editor key.")]
    [RequestExample("""{ "id": "prisoner-exchange", "title": "Prisoner exchange", "description": "Exchange of prisoners of war." }""")]
    public static (Created<Issue>, IStartStream) Post(OpenIssue command)
    {
        var opened = command.Opened();
        var issue = Issue.From(opened);
        return (TypedResults.Created($"/api/issues/{issue.Id}", issue), MartenOps.StartStream<Issue>(Issue.StreamKey(issue.Id), opened));
    }
}
