using Microsoft.AspNetCore.Mvc;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.Statements;

/// <summary>Rules every change to an existing statement obeys.</summary>
public static class StatementRules
{
    public static ProblemDetails CheckWritable(Statement statement, long expectedVersion)
    {
        if (statement.Version != expectedVersion)
            return Problems.Conflict($"The statement is at version {statement.Version}, not {expectedVersion}; fetch it again and retry.");
        if (statement.Retracted)
            return Problems.Conflict("The statement is retracted; it can no longer be changed.");
        return WolverineContinue.NoProblems;
    }
}
