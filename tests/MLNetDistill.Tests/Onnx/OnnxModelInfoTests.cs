using MLNetDistill.Onnx;

namespace MLNetDistill.Tests.Onnx;

public sealed class OnnxModelInfoTests
{
    [Fact]
    public void Load_FashionCnn_ReadsInputsOutputsOpsetAndParameters()
    {
        var info = OnnxModelInfo.Load(TestPaths.FashionTeacher);
        var input = Assert.Single(info.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal("float", input.ElementType);
        Assert.Equal(["batch", "1", "28", "28"], input.Dimensions);
        Assert.Equal(784, input.ElementsPerRow);
        Assert.Equal("logits", Assert.Single(info.Outputs).Name);
        Assert.Equal(13, info.Opset);
        Assert.Equal(430_890, info.ParameterCount);
        Assert.Equal(new FileInfo(TestPaths.FashionTeacher).Length, info.FileBytes);
        Assert.Contains(info.IntermediateOutputs, t => t.Name == "/relu4/Relu_output_0" && t.OperatorType == "Relu");
    }

    [Fact]
    public void ProbeIntermediateOutputs_FashionCnn_FindsHiddenShapes()
    {
        var probed = OnnxModelInfo.Load(TestPaths.FashionTeacher).ProbeIntermediateOutputs();
        var hidden = probed.Single(t => t.Name == "/relu4/Relu_output_0");
        Assert.Equal(["batch", "128"], hidden.Dimensions);
        Assert.Equal("float", hidden.ElementType);
        Assert.Equal(["batch", "64", "7", "7"], probed.Single(t => t.Name == "/pool2/MaxPool_output_0").Dimensions);
    }

    [Fact]
    public void Load_TwoInputs_ReportsInt64InputsWithSymbolicBatch()
    {
        var info = OnnxModelInfo.Load(TestPaths.Fixture("two_inputs.onnx"));
        Assert.Equal(["input_ids", "attention_mask"], info.Inputs.Select(i => i.Name));
        Assert.All(info.Inputs, i => Assert.Equal("int64", i.ElementType));
        Assert.All(info.Inputs, i => Assert.Equal("[batch, 16]", i.ShapeText));
    }

    [Fact]
    public void Load_TextFile_ThrowsNotOnnx()
    {
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModelInfo.Load(TestPaths.Fixture("not_onnx.onnx")));
        Assert.Contains("not an ONNX model", ex.Message);
    }

    [Fact]
    public void Load_EmptyFile_ThrowsNotOnnx()
    {
        string path = TestPaths.TempFile(".onnx");
        File.WriteAllBytes(path, []);
        var ex = Assert.Throws<InvalidDataException>(() => OnnxModelInfo.Load(path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not an ONNX model", ex.Message, StringComparison.Ordinal);
    }
}
