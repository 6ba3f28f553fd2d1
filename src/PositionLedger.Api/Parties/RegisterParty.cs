using Microsoft.AspNetCore.Http.HttpResults;
using FluentValidation;
using Marten;
using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;
using Wolverine.Marten;

namespace PositionLedger.Parties;

public sealed record RegisterParty(string? Id, string? Name, string[]? Aliases = null)
{
    /// <summary>The event this command records; call only once it has been validated.</summary>
    public PartyRegistered Registered() => new(Id!, Name!, Aliases ?? []);

    public sealed class Validator : AbstractValidator<RegisterParty>
    {
        public Validator()
        {
            RuleFor(c => c.Id).Slug();
            RuleFor(c => c.Name).Text(Rules.NameMaxLength);
            RuleFor(c => c.Aliases).Must(a => a is null || a.Length <= 20).WithMessage("'aliases' may list at most 20 names.");
            RuleForEach(c => c.Aliases).Text(Rules.NameMaxLength);
        }
    }
}

public static class RegisterPartyEndpoint
{
    private static readonly RegisterParty.Validator Validator = new();

    public static async Task<ProblemDetails> ValidateAsync(RegisterParty command, IQuerySession session, CancellationToken ct)
    {
        var problem = Problems.Check(Validator, command);
        if (problem.IsProblem()) return problem;
        return await session.LoadAsync<Party>(command.Id!, ct) is null
            ? WolverineContinue.NoProblems
            : Problems.Conflict($"A party with id '{command.Id}' is already registered.");
    }

    [WolverinePost("/api/parties", OperationId = "registerParty")]
    [Tags(ApiTags.Parties)]
    [EndpointSummary("Register a party")]
    [EndpointDescription("Registers a state or organisation under a slug id; 409 if the id is taken. Needs an editor key.")]
    [RequestExample("""{ "id": "european-union", "name": "European Union", "aliases": ["EU"] }""")]
    public static (Created<Party>, IStartStream) Post(RegisterParty command)
    {
        var registered = command.Registered();
        var party = Party.From(registered);
        return (TypedResults.Created($"/api/parties/{party.Id}", party),
            MartenOps.StartStream<Party>(Party.StreamKey(party.Id), registered));
    }
}
