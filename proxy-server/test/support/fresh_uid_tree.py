#!/usr/bin/python3
"""
A copy of a folder of DICOM test files (pydicom's test_files) for one import test run: the same
tree, each file pydicom reads given fresh Study, Series and SOP Instance UIDs (where it has them;
one new study per file) and its PatientID suffixed with the run's tag, so nothing collides with
earlier runs or the demo cohort; every other file (text, JSON, compressed, broken) copied as it is,
for Orthanc to judge. Prints the copies as JSON: path, whether pydicom rewrote it, and the new
StudyInstanceUID. Usage: fresh_uid_tree.py SOURCE_DIR OUT_DIR TAG
"""
import json
import os
import shutil
import sys
import warnings

import pydicom
from pydicom.uid import generate_uid

warnings.filterwarnings("ignore")


def rewrite(source, target, tag):
    ds = pydicom.dcmread(source)
    study_uid = None
    if "StudyInstanceUID" in ds:
        study_uid = ds.StudyInstanceUID = generate_uid()
    if "SeriesInstanceUID" in ds:
        ds.SeriesInstanceUID = generate_uid()
    if "SOPInstanceUID" in ds:
        ds.SOPInstanceUID = generate_uid()
        if getattr(ds, "file_meta", None) is not None and "MediaStorageSOPInstanceUID" in ds.file_meta:
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if ds.get("PatientID"):
        ds.PatientID = f"{str(ds.PatientID)[:50]}-{tag}"
    ds.save_as(target)
    return None if study_uid is None else str(study_uid)


def main():
    source_dir, out_dir, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    copies = []
    for directory, _, names in sorted(os.walk(source_dir)):
        for name in sorted(names):
            source = os.path.join(directory, name)
            target = os.path.join(out_dir, os.path.relpath(source, source_dir))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                study_uid, rewritten = rewrite(source, target, tag), True
            except Exception:  # noqa: BLE001 - not DICOM to pydicom: Orthanc judges it as it is
                shutil.copyfile(source, target)
                study_uid, rewritten = None, False
            copies.append({"path": target, "rewritten": rewritten, "studyInstanceUid": study_uid})
    print(json.dumps(copies))


main()
