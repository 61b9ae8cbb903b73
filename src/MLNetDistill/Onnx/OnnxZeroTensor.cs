using Microsoft.ML.OnnxRuntime;

namespace MLNetDistill.Onnx;

/// <summary>Zero-filled ONNX Runtime tensors of the element types a model input can take, for probing a graph with one dummy batch.</summary>
internal static class OnnxZeroTensor
{
    /// <summary>The element types <see cref="TryCreate"/> can make, as the error messages list them.</summary>
    public const string SupportedTypes = "float, double, int64, int32, bool, uint8";

    /// <summary>Makes a zero-filled tensor of <paramref name="shape"/>; false when <paramref name="elementType"/> is not one of <see cref="SupportedTypes"/>.</summary>
    /// <param name="elementType">The ONNX element type name (<see cref="OnnxModelInfo.ElementTypeName"/>).</param>
    /// <param name="shape">The tensor's full shape, batch first.</param>
    /// <param name="count">The number of values: the product of <paramref name="shape"/>, checked by the caller to fit one array.</param>
    /// <param name="value">The tensor, or null when the type is not supported.</param>
    public static bool TryCreate(string elementType, long[] shape, int count, out OrtValue? value)
    {
        value = elementType switch
        {
            "float" => OrtValue.CreateTensorValueFromMemory(new float[count], shape),
            "double" => OrtValue.CreateTensorValueFromMemory(new double[count], shape),
            "int64" => OrtValue.CreateTensorValueFromMemory(new long[count], shape),
            "int32" => OrtValue.CreateTensorValueFromMemory(new int[count], shape),
            "bool" => OrtValue.CreateTensorValueFromMemory(new bool[count], shape),
            "uint8" => OrtValue.CreateTensorValueFromMemory(new byte[count], shape),
            _ => null,
        };
        return value is not null;
    }
}
