using System.Reflection;
using MLNetDistill.Llm;
using MLNetDistill.Reports;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests;

/// <summary>The three library packages: the core pulls no graphics stack and no LLM client; reports and the labeler are their own assemblies.</summary>
public sealed class PackageSplitTests
{
    private static readonly string[] GraphicsAndLlm =
        ["ScottPlot", "SkiaSharp", "HarfBuzzSharp", "Microsoft.AspNetCore.Html.Abstractions", "Polly.Core", "Microsoft.Extensions.AI", "Microsoft.Extensions.AI.Abstractions", "Microsoft.Extensions.AI.OpenAI", "OpenAI"];

    [Fact]
    public void CoreAssembly_References_NoGraphicsOrLlmPackage()
    {
        var core = typeof(TeacherScoringTransformer).Assembly;
        string[] referenced = [.. core.GetReferencedAssemblies().Select(a => a.Name!)];

        Assert.Equal("MLNetDistill", core.GetName().Name);
        Assert.Empty(referenced.Intersect(GraphicsAndLlm));
        Assert.Contains("Microsoft.ML.Data", referenced);
    }

    [Fact]
    public void ReportsAndLlm_LiveInTheirOwnAssemblies()
    {
        Assert.Equal("MLNetDistill.Reports", typeof(TradeoffChart).Assembly.GetName().Name);
        Assert.Equal("MLNetDistill.Llm", typeof(LlmLabeler).Assembly.GetName().Name);
        Assert.Contains("ScottPlot", typeof(TradeoffChart).Assembly.GetReferencedAssemblies().Select(a => a.Name));
        Assert.Contains("MLNetDistill", typeof(LlmLabeler).Assembly.GetReferencedAssemblies().Select(a => a.Name));
        Assert.DoesNotContain("ScottPlot", typeof(LlmLabeler).Assembly.GetReferencedAssemblies().Select(a => a.Name));
    }
}
