using System.CommandLine;
using System.Text.Json;
using MLNetDistill.Onnx;

namespace MLNetDistill.Cli.Commands;

/// <summary><c>mlnet-distill inspect TEACHER.onnx [--json]</c>: what a teacher takes and gives.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var teacher = new Argument<string>("TEACHER") { Description = "The teacher's .onnx file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var command = new Command("inspect", "Show a teacher's inputs, outputs, opset, parameter count, size and the intermediate tensors it can expose.") { teacher, json };
        command.SetAction(parse => CommandRunner.Run(() => Run(parse.GetValue(teacher)!, parse.GetValue(json))));
        return command;
    }

    private static int Run(string path, bool json)
    {
        var info = OnnxModelInfo.Load(path);
        var intermediates = info.ProbeIntermediateOutputs();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                path = info.Path,
                fileBytes = info.FileBytes,
                opset = info.Opset,
                parameters = info.ParameterCount,
                inputs = info.Inputs.Select(Tensor),
                outputs = info.Outputs.Select(Tensor),
                intermediateOutputs = intermediates.Select(Tensor),
            }, CommandRunner.Json));
            return 0;
        }

        Console.WriteLine($"{info.Path}: {info.FileBytes:N0} bytes, opset {info.Opset}, {info.ParameterCount:N0} parameters");
        Console.WriteLine("inputs:");
        foreach (var t in info.Inputs)
        {
            Console.WriteLine($"  {t.Name}  {t.ElementType} {t.ShapeText}");
        }

        Console.WriteLine("outputs:");
        foreach (var t in info.Outputs)
        {
            Console.WriteLine($"  {t.Name}  {t.ElementType} {t.ShapeText}");
        }

        Console.WriteLine($"intermediate outputs that can be exposed ({intermediates.Count}):");
        foreach (var t in intermediates)
        {
            Console.WriteLine($"  {t.Name}  ({t.OperatorType}) {t.ElementType} {t.ShapeText}");
        }

        return 0;
    }

    private static object Tensor(OnnxTensorInfo t) => new
    {
        name = t.Name,
        elementType = t.ElementType,
        shape = t.Dimensions?.Select(d => long.TryParse(d, out long n) ? (object)n : d).ToArray(),
        op = t.OperatorType,
    };
}
