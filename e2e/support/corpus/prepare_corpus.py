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
import sys
import warnings

import pydicom
import pydicom.data
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


def reference(ds, frames):
    """Stored values at the sample points of frames 1, middle and last (1-based), or a reason."""
    if int(ds.get("SamplesPerPixel", 1)) != 1:
        return None, "colour: compared by frame count only"
    try:
        array = ds.pixel_array
    except Exception as error:  # noqa: BLE001 - any decoder failure is a reason, not a crash
        return None, f"pydicom cannot decode it here ({type(error).__name__})"
    rows, columns = int(ds.Rows), int(ds.Columns)
    checked = sorted({1, (frames + 1) // 2, frames})
    points = sample_points(rows, columns)
    values = {}
    for frame in checked:
        plane = array[frame - 1] if frames > 1 else array
        values[str(frame)] = [int(plane[p["y"]][p["x"]]) for p in points]
    return {"points": points, "frames": values}, None


def synthetic_objects():
    """Objects made here for one check each: a header window of 100/40; 50 frames (fetched in a
    few requests); a 1-bit segmentation of several frames."""
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


def main():
    out_dir, patient_id = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    manifest = []
    study_uid = None

    def objects():
        for path, name in corpus_files():
            try:
                yield pydicom.dcmread(path), name
            except Exception:  # noqa: BLE001 - not DICOM, or not readable: not part of the corpus
                continue
        yield from synthetic_objects()

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
        try:
            frames = int(ds.get("NumberOfFrames", 1) or 1)
        except (TypeError, ValueError):
            frames = 1
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
        if has_pixels and "PixelData" in ds:
            entry["reference"], entry["note"] = reference(ds, frames)
        entry["path"] = target
        manifest.append(entry)
    json.dump(manifest, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
