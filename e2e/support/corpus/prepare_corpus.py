#!/usr/bin/python3
"""
pydicom's own test corpus (Debian's python3-pydicom: test_files and charset_files), prepared for
import into a test stack: every readable DICOM object gets fresh Study, Series and SOP Instance
UIDs (so that no variant is de-duplicated away by Orthanc) and the given PatientID; one study per
`--per-study` objects, each object its own series.

Writes the files and a manifest (JSON) with, for every object: its UIDs, SOP class, transfer syntax,
photometric interpretation, frame count, whether it has pixel data and — where pydicom (with
NumPy, and GDCM where installed) decodes it — the stored values at a few points of up to three
frames (first, middle, last). Usage: prepare_corpus.py OUT_DIR PATIENT_ID
"""
import json
import os
import re
import struct
import sys
import warnings

import pydicom
import pydicom.data
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers.util import apply_modality_lut, convert_color_space
from pydicom.uid import generate_uid

warnings.filterwarnings("ignore")

PER_STUDY = 40

# Files left out, and why: they would take the stack down rather than test the viewer.
EXCLUDED = {
    # RT Dose without NumberOfFrames, stored uncompressed: Orthanc 1.13's GDCM plugin aborts (an
    # assertion on (0028,0008), the whole process) when asked for a frame of it.
    "test_files/rtdose_1frame.dcm",
    "test_files/rtdose_expb_1frame.dcm",
}


def corpus_files():
    base = os.path.dirname(pydicom.data.__file__)
    for folder in ("test_files", "charset_files"):
        root = os.path.join(base, folder)
        for directory, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                yield os.path.join(directory, name), os.path.relpath(os.path.join(directory, name), base)


def sample_points(rows, columns):
    xs = sorted({0, columns // 3, columns // 2, (2 * columns) // 3, columns - 1})
    ys = sorted({0, rows // 3, rows // 2, (2 * rows) // 3, rows - 1})
    return [{"x": x, "y": y} for y in ys for x in xs]


JPEG_2000 = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}
# Lossy JPEG: decoders may differ by a grey level or so, and colour ones convert YBR to RGB each their own way.
LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
LOSSY_COLOUR_TOLERANCE = 2


def codestream_size(ds, frames):
    """JPEG 2000: the first frame's image size by its codestream (SIZ), where it differs from the header's; else None."""
    if str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "")) not in JPEG_2000:
        return None
    frame = next(generate_pixel_data_frame(ds.PixelData, frames), b"")
    at = frame.find(b"\xff\x4f\xff\x51")  # SOC, then SIZ: Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz
    if at < 0 or len(frame) < at + 24:
        return None
    xsiz, ysiz, xosiz, yosiz = struct.unpack(">IIII", frame[at + 8 : at + 24])
    size = (xsiz - xosiz, ysiz - yosiz)
    return size if size != (int(ds.Columns), int(ds.Rows)) else None


def reference(ds, frames):
    """
    Stored values at the sample points of frames 1, middle and last (1-based), or a reason: one value
    a point for greyscale, [R, G, B] for RGB (lossless syntaxes).
    """
    samples = int(ds.get("SamplesPerPixel", 1))
    transfer_syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", ""))
    photometric = str(ds.get("PhotometricInterpretation", ""))
    # Uncompressed YBR_FULL_422 is turned into RGB by the viewer itself: compared with pydicom's RGB of it.
    native_ybr_422 = photometric == "YBR_FULL_422" and transfer_syntax in NATIVE
    # JPEG 2000's reversible colour transform (YBR_RCT) is undone by the decoder, exactly: RGB.
    lossless_rgb = photometric in ("RGB", "YBR_RCT") and transfer_syntax not in LOSSY_JPEG
    # Lossy colour JPEG: decoders upsample chroma and convert YCbCr each their own way (integer
    # arithmetic, "fancy" upsampling), so RGB is compared within LOSSY_COLOUR_TOLERANCE a sample.
    lossy_colour = photometric in ("RGB", "YBR_FULL", "YBR_FULL_422") and transfer_syntax in LOSSY_JPEG
    if samples != 1 and not native_ybr_422 and not lossless_rgb and not lossy_colour:
        return None, "colour other than RGB, YBR_FULL, YBR_FULL_422 and YBR_RCT: compared by frame count only"
    size = codestream_size(ds, frames)
    if size is not None:
        # No decoder gives the header's image from such a codestream; pydicom's values would be
        # whatever its decoder left after it failed.
        return None, f"JPEG 2000 codestream of {size[0]} × {size[1]} under a header of {ds.Columns} × {ds.Rows}"
    try:
        array = decoded(ds, frames)
    except Exception as error:  # noqa: BLE001 - any decoder failure is a reason, not a crash
        return None, f"pydicom cannot decode it here ({type(error).__name__})"
    if native_ybr_422 or (lossy_colour and photometric.startswith("YBR")):
        # GDCM hands YCbCr back as it is (upsampled): RGB by DICOM's full-range equations.
        array = convert_color_space(array, "YBR_FULL", "RGB")
    rows, columns = int(ds.Rows), int(ds.Columns)
    checked = sorted({1, (frames + 1) // 2, frames})
    points = sample_points(rows, columns)
    values = {}
    for frame in checked:
        plane = array[frame - 1] if frames > 1 else array
        values[str(frame)] = [[int(v) for v in plane[p["y"]][p["x"]]] if samples > 1 else int(plane[p["y"]][p["x"]]) for p in points]
    if lossy_colour:
        return {"points": points, "frames": values, "tolerance": LOSSY_COLOUR_TOLERANCE}, "lossy colour JPEG: RGB within a tolerance"
    return {"points": points, "frames": values}, None


def decoded(ds, frames):
    """
    pydicom's pixel_array; for a NumberOfFrames that is not a number (badVR.dcm says "1A"), that of
    a copy with the number the viewer reads, its leading digits (`frames`).
    """
    number = str(ds.get("NumberOfFrames", "") or "").strip()
    if not number or number.isdigit():
        return ds.pixel_array
    import copy

    fixed = copy.deepcopy(ds)
    fixed.NumberOfFrames = frames
    return fixed.pixel_array


def linear_window(lower, upper):
    """The DICOM linear window (PS3.3 C.11.2.1.2.1) mapping `lower` to black and `upper` to white."""
    return {"windowWidth": upper - lower + 1, "windowCenter": (lower + upper + 1) / 2}


def header_windows(ds):
    """The header's first window and the pixel format's full range of modality values, or None."""
    if int(ds.get("SamplesPerPixel", 1)) != 1 or "BitsStored" not in ds:
        return None
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    first = lambda v: float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)
    bits = int(ds.BitsStored)
    lowest, highest = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if int(ds.get("PixelRepresentation", 0)) == 1 else (0, 2**bits - 1)
    slope, intercept = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    ends = sorted((lowest * slope + intercept, highest * slope + intercept))
    return {
        "header": {"windowWidth": first(width), "windowCenter": first(center)} if center is not None and width is not None else None,
        "fullRange": linear_window(*ends),
    }


def auto_window(ds, frames):
    """The first frame's lowest to highest modality value, as pydicom decodes and rescales it."""
    array = decoded(ds, frames)
    plane = array[0] if frames > 1 else array
    values = apply_modality_lut(plane, ds)
    return linear_window(float(values.min()), float(values.max()))


# Pixels an object was encoded from, by corpus name: its reference where pydicom cannot decode it.
SOURCE_PIXELS = {}


def synthetic_objects(htj2k_dir=None):
    """Objects made here for one check each: a header window of 100/40; 50 frames (fetched in a
    few requests); a 1-bit segmentation of several frames; a CR in MONOCHROME1 for its thumbnail;
    a header window of 100/40 with the SIGMOID function."""
    import copy

    import numpy
    from pydicom.data import get_testdata_file
    from pydicom.pixel_data_handlers.numpy_handler import pack_bits

    ct = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ct.WindowWidth, ct.WindowCenter = 100, 40
    yield ct, "synthetic/window-100-40"

    # Multi-frame Grayscale Word Secondary Capture of 50 frames, each with its own values.
    frames = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "SliceLocation", "WindowWidth", "WindowCenter"):
        if keyword in frames:
            delattr(frames, keyword)
    frames.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.3"
    frames.file_meta.MediaStorageSOPClassUID = frames.SOPClassUID
    frames.Modality = "OT"
    frames.Rows, frames.Columns, frames.NumberOfFrames = 32, 32, 50
    frames.BitsAllocated, frames.BitsStored, frames.HighBit, frames.PixelRepresentation = 16, 16, 15, 0
    f, y, x = numpy.mgrid[0:50, 0:32, 0:32]
    frames.PixelData = ((f * 997 + y * 31 + x * 7) % 4096).astype("<u2").tobytes()
    yield frames, "synthetic/50-frames"

    # A 1-bit segmentation of 3 frames of 32 × 32 (a multiple of 8 columns: Orthanc serves the
    # frames of a 1-bit object only then).
    seg = pydicom.dcmread(get_testdata_file("liver_1frame.dcm"))
    bits = numpy.random.default_rng(7).integers(0, 2, size=(3, 32, 32), dtype=numpy.uint8)
    seg.Rows, seg.Columns, seg.NumberOfFrames = 32, 32, 3
    seg.PixelData = pack_bits(bits.ravel())
    if "PerFrameFunctionalGroupsSequence" in seg:
        seg.PerFrameFunctionalGroupsSequence = [copy.deepcopy(seg.PerFrameFunctionalGroupsSequence[0]) for _ in range(3)]
    yield seg, "synthetic/segmentation-1bit-3frames"

    # A CR in MONOCHROME1 (low values white), pixels of 0.2 mm, with a header window of 2000/2000
    # and quadrants below the window, a quarter in, the centre, above it.
    cr = quadrant_image("1.2.840.10008.5.1.4.1.1.1", "CR", "MONOCHROME1", [[500, 1500], [2000, 3500]])
    cr.PixelSpacing = [0.2, 0.2]
    cr.WindowWidth, cr.WindowCenter = 2000, 2000
    yield cr, "synthetic/cr-monochrome1"

    # A secondary capture whose header window of 100/40 is to be applied by DICOM's SIGMOID function
    # (PS3.3 C.11.2.1.3.1), with quadrants whose greys differ from the linear function's at the
    # window's ends.
    sigmoid = quadrant_image("1.2.840.10008.5.1.4.1.1.7", "OT", "MONOCHROME2", [[0, 20], [60, 100]])
    sigmoid.WindowWidth, sigmoid.WindowCenter, sigmoid.VOILUTFunction = 100, 40, "SIGMOID"
    yield sigmoid, "synthetic/window-sigmoid"

    yield encapsulated_pdf(), "synthetic/encapsulated-pdf"

    # HTJ2K under 1.2.840.10008.1.2.4.203 (which allows lossless and lossy codestreams): a lossless
    # codestream OpenJPH encoded (corpus.ts) from known signed pixels, which are the reference —
    # pydicom here has no HTJ2K decoder.
    if htj2k_dir:
        from pydicom._uid_dict import UID_dictionary
        from pydicom.encaps import encapsulate

        # pydicom 2.3 predates HTJ2K and refuses to write an object in a syntax it does not know.
        UID_dictionary.setdefault("1.2.840.10008.1.2.4.203", ("High-Throughput JPEG 2000 Image Compression", "Transfer Syntax", "", "", "HTJ2K"))

        with open(os.path.join(htj2k_dir, "htj2k.json"), encoding="utf-8") as f:
            size = json.load(f)
        with open(os.path.join(htj2k_dir, "htj2k.j2c"), "rb") as f:
            codestream = f.read()
        source = numpy.fromfile(os.path.join(htj2k_dir, "htj2k.raw"), dtype="<i2").reshape(size["rows"], size["columns"])
        htj2k = quadrant_image("1.2.840.10008.5.1.4.1.1.7.2", "OT", "MONOCHROME2", [[0, 0], [0, 0]])
        htj2k.Rows, htj2k.Columns = size["rows"], size["columns"]
        htj2k.BitsAllocated, htj2k.BitsStored, htj2k.HighBit, htj2k.PixelRepresentation = 16, 16, 15, 1
        htj2k.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.203"
        htj2k.is_little_endian, htj2k.is_implicit_VR = True, False
        htj2k.PixelData = encapsulate([codestream])
        htj2k["PixelData"].is_undefined_length = True
        htj2k["PixelData"].VR = "OB"
        SOURCE_PIXELS["synthetic/htj2k-203"] = source
        yield htj2k, "synthetic/htj2k-203"


PDF_TEXT = "Reading Station test report"


def minimal_pdf(text):
    """A one-page PDF (A4) with one line of Helvetica text, its cross-reference table written out."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encapsulated_pdf():
    """An Encapsulated PDF Storage object whose document is minimal_pdf(PDF_TEXT)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    sop_class = "1.2.840.10008.5.1.4.1.1.104.1"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta, ds.preamble = meta, b"\0" * 128
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.ConversionType = "DOC", "WSD"
    ds.StudyDate, ds.PatientName, ds.PatientID = "20260101", "CORPUS^PYDICOM", "X"
    ds.InstanceNumber, ds.BurnedInAnnotation, ds.DocumentTitle = 1, "YES", PDF_TEXT
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    document = minimal_pdf(PDF_TEXT)
    ds.EncapsulatedDocument = document + (b"\0" if len(document) % 2 else b"")
    ds.EncapsulatedDocumentLength = len(document)
    return ds


def quadrant_image(sop_class, modality, photometric, quadrants):
    """
    An image of 128 × 128 (a thumbnail's size), 12 bits stored in 16, unsigned, without plane,
    position or rescale, made of four flat quadrants of the given stored values ([[top left, top
    right], [bottom left, bottom right]]); the rest of its header is pydicom's CT_small.dcm.
    """
    import numpy
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "SliceLocation", "RescaleSlope", "RescaleIntercept", "RescaleType"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.SOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.Modality = modality
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = 128, 128
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    values = numpy.array(quadrants, dtype="<u2")
    ds.PixelData = numpy.kron(values, numpy.ones((64, 64), dtype="<u2")).astype("<u2").tobytes()
    return ds


def main():
    out_dir, patient_id = sys.argv[1], sys.argv[2]
    htj2k_dir = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    study_uid = None

    def objects():
        for path, name in corpus_files():
            try:
                yield pydicom.dcmread(path), name
            except Exception:  # noqa: BLE001 - not DICOM, or not readable: not part of the corpus
                continue
        yield from synthetic_objects(htj2k_dir)

    for ds, name in objects():
        if name in EXCLUDED:
            continue
        sop_class = str(ds.get("SOPClassUID", ""))
        if not sop_class or "SOPInstanceUID" not in ds or sop_class == "1.2.840.10008.1.3.10":
            continue  # DICOMDIRs and fragments without an identity
        if len(manifest) % PER_STUDY == 0:
            study_uid = generate_uid()
        series_uid, sop_uid = generate_uid(), generate_uid()
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.SOPInstanceUID = sop_uid
        ds.PatientID = patient_id
        ds.PatientName = "CORPUS^PYDICOM"
        ds.StudyDescription = "pydicom corpus"
        ds.SeriesDescription = name[:64]
        ds.SeriesNumber = len(manifest) + 1
        if getattr(ds, "file_meta", None) is not None:
            ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
        has_pixels = "PixelData" in ds or "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
        # NumberOfFrames by its leading digits, as the viewer reads it ("1A" in badVR.dcm is 1).
        leading = re.match(r"\d+", str(ds.get("NumberOfFrames", "") or "").strip())
        frames = max(1, int(leading.group())) if leading else 1
        entry = {
            "file": name,
            "studyInstanceUid": study_uid,
            "seriesInstanceUid": series_uid,
            "sopInstanceUid": sop_uid,
            "sopClassUid": sop_class,
            "transferSyntax": str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "")),
            "photometric": str(ds.get("PhotometricInterpretation", "")),
            "bitsAllocated": int(ds.get("BitsAllocated", 0) or 0),
            "frames": frames,
            "hasPixelData": has_pixels,
            "reference": None,
            "note": None,
        }
        target = os.path.join(out_dir, f"{len(manifest):04d}.dcm")
        try:
            ds.save_as(target, write_like_original=True)
        except Exception:  # noqa: BLE001 - pydicom cannot write it back: leave it out
            continue
        # Only after the file is written: decoding may change the dataset (pydicom's JPEG 2000
        # corrections set PixelRepresentation to the codestream's), and the viewer must get the
        # object as it was.
        windows = header_windows(ds) if has_pixels and "PixelData" in ds else None
        if name in SOURCE_PIXELS:
            source = SOURCE_PIXELS[name]
            points = sample_points(int(ds.Rows), int(ds.Columns))
            entry["reference"] = {"points": points, "frames": {"1": [int(source[p["y"]][p["x"]]) for p in points]}}
            entry["note"] = "reference: the pixels the codestream was encoded from (lossless)"
        elif has_pixels and "PixelData" in ds:
            entry["reference"], entry["note"] = reference(ds, frames)
            if windows is not None and entry["reference"] is not None:
                windows["auto"] = auto_window(ds, frames)
        entry["windows"] = windows
        entry["path"] = target
        manifest.append(entry)
    json.dump(manifest, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
