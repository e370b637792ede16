#!/usr/bin/env python3
"""Writes one contest of N ballots, one record per ballot, in every format
`christen tally` reads, for benches/tally_scale.sh (issue 14, item 6).

    benches/tally_scale_gen.py DIR [BALLOTS [CANDIDATES [HART_BALLOTS]]]

Every file holds the same ballots (seeded: the same each run), so every format
must elect the same winner. Rankings: 1 + a geometric number of further ranks,
Zipf-skewed choices. Hart writes one XML file per ballot, so its folder holds
only HART_BALLOTS ballots (default 100000): a million small files would be
gigabytes of disk blocks. ES&S is written with the standard library (an xlsx
is a zip of XML parts): the first worksheet, shared strings, nothing else.
Files written (in DIR): cvr.csv (rctab-csv), ballots.json (rctab-json),
christen.csv (csv), ballots.toi (preflib), ballots.blt (blt), christen.json
(json), cdf.json and cdf.xml (cdf), dominion/ (dominion), hart/ (hart),
ess.xlsx (ess).
"""
import json
import os
import random
import sys
import zipfile

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
k = int(sys.argv[3]) if len(sys.argv) > 3 else 10
hart_n = min(n, int(sys.argv[4]) if len(sys.argv) > 4 else 100_000)

rng = random.Random(14)
names = [f"Name {i}" for i in range(1, k + 1)]
weights = [1 / (i + 1) for i in range(k)]


def ballots():
    rng.seed(14)
    for _ in range(n):
        length = 1
        while length < k and rng.random() < 0.7:
            length += 1
        pool, w, ranking = list(range(k)), list(weights), []
        for _ in range(length):
            i = rng.choices(range(len(pool)), w)[0]
            ranking.append(pool.pop(i))
            w.pop(i)
        yield ranking


def rank_cells(ranking):
    cells = [""] * k
    for r, c in enumerate(ranking):
        cells[c] = str(r + 1)
    return ",".join(cells)


rankings = list(ballots())

def path(name):
    return os.path.join(out, name)


with open(path("cvr.csv"), "w") as f:
    f.write("Ballot ID," + ",".join(names) + "\n")
    f.writelines(f"b{b},{rank_cells(r)}\n" for b, r in enumerate(rankings))

with open(path("christen.csv"), "w") as f:
    f.write("receipt," + ",".join(names) + "\n")
    f.writelines(f"r{b:08x},{rank_cells(r)}\n" for b, r in enumerate(rankings))

with open(path("ballots.json"), "w") as f:
    f.write('{"candidates": ' + json.dumps(names) + ', "ballots": [\n')
    f.writelines(
        ("," if b else "") + "[" + ",".join(f'["{names[c]}"]' for c in r) + "]\n"
        for b, r in enumerate(rankings)
    )
    f.write("]}\n")

with open(path("christen.json"), "w") as f:
    f.write('{"candidates": ' + json.dumps(names) + ', "ballots": [\n')
    f.writelines(
        ("," if b else "") + "[" + ",".join(f'"{names[c]}"' for c in r) + "]\n"
        for b, r in enumerate(rankings)
    )
    f.write("]}\n")

with open(path("ballots.toi"), "w") as f:
    f.write(f"# DATA TYPE: toi\n# NUMBER ALTERNATIVES: {k}\n")
    f.writelines(f"# ALTERNATIVE NAME {i + 1}: {name}\n" for i, name in enumerate(names))
    f.writelines("1: " + ",".join(str(c + 1) for c in r) + "\n" for r in rankings)

with open(path("ballots.blt"), "w") as f:
    f.write(f"{k} 1\n")
    f.writelines("1 " + " ".join(str(c + 1) for c in r) + " 0\n" for r in rankings)
    f.write("0\n")
    f.writelines(f'"{name}"\n' for name in names)
    f.write('"Scale"\n')

# NIST SP 1500-103 CDF, JSON form: one CVR, one snapshot per ballot.
def cdf_json_cvr(r):
    sels = ",".join(
        '{"ContestSelectionId":"cs-%d","SelectionPosition":[{"HasIndication":"yes",'
        '"IsAllocable":"yes","NumberVotes":1,"Rank":%d}]}' % (c, i + 1)
        for i, c in enumerate(r)
    )
    return (
        '{"@type":"CVR.CVR","CurrentSnapshotId":"s","CVRSnapshot":[{"@id":"s",'
        '"Type":"original","CVRContest":[{"ContestId":"c-1","CVRContestSelection":['
        + sels
        + "]}]}]}"
    )


with open(path("cdf.json"), "w") as f:
    f.write('{"@type":"CVR.CastVoteRecordReport","Version":"1.0.0","CVR":[\n')
    f.writelines(("," if b else "") + cdf_json_cvr(r) + "\n" for b, r in enumerate(rankings))
    election = {
        "@id": "e-1",
        "Candidate": [{"@id": f"cand-{i}", "Name": name} for i, name in enumerate(names)],
        "Contest": [
            {
                "@id": "c-1",
                "@type": "CVR.CandidateContest",
                "Name": "Scale",
                "ContestSelection": [
                    {"@id": f"cs-{i}", "CandidateIds": [f"cand-{i}"]} for i in range(k)
                ],
            }
        ],
    }
    # The Election after the CVRs, as the schema's (alphabetical) order has it.
    f.write('],"Election":[' + json.dumps(election) + "]}\n")

with open(path("cdf.xml"), "w") as f:
    f.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<CastVoteRecordReport xmlns="http://itl.nist.gov/ns/voting/1500-103/v1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    )
    for r in rankings:
        sels = "".join(
            f"<CVRContestSelection><ContestSelectionId>cs-{c}</ContestSelectionId>"
            "<SelectionPosition><HasIndication>yes</HasIndication><IsAllocable>yes</IsAllocable>"
            f"<NumberVotes>1</NumberVotes><Position>1</Position><Rank>{i + 1}</Rank>"
            "</SelectionPosition></CVRContestSelection>"
            for i, c in enumerate(r)
        )
        f.write(
            '<CVR><CurrentSnapshotId>s</CurrentSnapshotId><CVRSnapshot ObjectId="s">'
            f"<CVRContest><ContestId>c-1</ContestId>{sels}</CVRContest>"
            "<Type>original</Type></CVRSnapshot></CVR>\n"
        )
    f.write('<Election ObjectId="e-1">\n')
    f.writelines(
        f'<Candidate ObjectId="cand-{i}"><Name>{name}</Name></Candidate>\n'
        for i, name in enumerate(names)
    )
    f.write('<Contest xsi:type="CandidateContest" ObjectId="c-1">')
    f.writelines(
        f'<ContestSelection xsi:type="CandidateSelection" ObjectId="cs-{i}">'
        f"<CandidateIds>cand-{i}</CandidateIds></ContestSelection>\n"
        for i in range(k)
    )
    f.write("<Name>Scale</Name></Contest></Election>\n<Version>1.0.0</Version>\n</CastVoteRecordReport>\n")

# Dominion: the two manifests and one CvrExport.json (candidate ids 100+i).
os.makedirs(path("dominion"), exist_ok=True)
with open(path("dominion/ContestManifest.json"), "w") as f:
    json.dump({"Version": "5.10", "List": [{"Id": 7, "Description": "Scale", "VoteFor": 1, "NumOfRanks": k}]}, f)
with open(path("dominion/CandidateManifest.json"), "w") as f:
    json.dump(
        {"Version": "5.10", "List": [{"Id": 100 + i, "Description": name, "ContestId": 7, "Type": "Regular"} for i, name in enumerate(names)]},
        f,
    )
with open(path("dominion/CvrExport.json"), "w") as f:
    f.write('{"Version":"5.10.50.85","ElectionId":"Scale","Sessions":[\n')
    for b, r in enumerate(rankings):
        marks = ",".join(
            '{"CandidateId":%d,"PartyId":0,"Rank":%d,"MarkDensity":100,"IsAmbiguous":false,"IsVote":true}'
            % (100 + c, i + 1)
            for i, c in enumerate(r)
        )
        f.write(
            ("," if b else "")
            + '{"TabulatorId":1,"BatchId":%d,"RecordId":%d,"CountingGroupId":1,"ImageMask":"x","SessionType":"ScannedVote","VotingSessionIdentifier":"","UniqueVotingIdentifier":"","Original":{"PrecinctPortionId":1,"BallotTypeId":1,"IsCurrent":true,"Cards":[{"Id":%d,"PaperIndex":0,"Contests":[{"Id":7,"ManifestationId":1,"Undervotes":0,"Overvotes":0,"OutstackConditionIds":[],"Marks":[%s]}]}]}}\n'
            % (b // 1000, b % 1000, b, marks)
        )
    f.write("]}\n")

# Hart: one XML file per ballot, HART_BALLOTS of them.
os.makedirs(path("hart"), exist_ok=True)
for b, r in enumerate(rankings[:hart_n]):
    options = "".join(
        f"<Option><Name>{names[c]}</Name><Id>o-{c}</Id><Value>{'0' * i}1</Value></Option>"
        for i, c in enumerate(r)
    )
    with open(path(f"hart/{b:07d}.xml"), "w") as f:
        f.write(
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<Cvr xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://tempuri.org/CVRDesign.xsd">\n'
            f"<BatchSequence>1</BatchSequence><SheetNumber>1</SheetNumber><BatchNumber>{b // 1000}</BatchNumber>\n"
            f"<CvrGuid>{b:032x}</CvrGuid>\n<Contests><Contest><Name>Scale</Name><Id>c-1</Id>\n"
            f"<Options>{options}</Options></Contest></Contests>\n</Cvr>\n"
        )

# ES&S: Cast Vote Record, Precinct, Ballot Style, then Rank 1..k naming
# candidates (shared strings), from row 2 on.
def col(i):
    s = ""
    i += 1
    while i:
        i, m = divmod(i - 1, 26)
        s = chr(65 + m) + s
    return s


strings = ["Cast Vote Record", "Precinct", "Ballot Style"] + [f"Rank {i + 1}" for i in range(k)] + names + ["P 1", "BS 1", "undervote"]
sid = {s: i for i, s in enumerate(strings)}
with zipfile.ZipFile(path("ess.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr(
        "[Content_Types].xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>",
    )
    z.writestr(
        "_rels/.rels",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
    )
    z.writestr(
        "xl/workbook.xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
    )
    z.writestr(
        "xl/_rels/workbook.xml.rels",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
    )
    z.writestr(
        "xl/sharedStrings.xml",
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{s}</t></si>" for s in strings)
        + "</sst>",
    )
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
        def row(number, cells):
            return (
                f'<row r="{number}">'
                + "".join(f'<c r="{col(i)}{number}" t="s"><v>{sid[s]}</v></c>' for i, s in enumerate(cells))
                + "</row>"
            ).encode()

        f.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        )
        f.write(row(1, strings[: 3 + k]))
        for b, r in enumerate(rankings):
            ranks = [names[c] for c in r] + ["undervote"] * (k - len(r))
            f.write(row(b + 2, ["P 1", "P 1", "BS 1"] + ranks))
        f.write(b"</sheetData></worksheet>")

# An RCTab configuration for the ES&S workbook (its reader needs the first
# vote column and row, which only a configuration gives).
rules = {
    "tiebreakMode": "useCandidateOrder", "overvoteRule": "exhaustImmediately",
    "winnerElectionMode": "singleWinnerMajority", "randomSeed": "", "numberOfWinners": "1",
    "decimalPlacesForVoteArithmetic": "4", "minimumVoteThreshold": "0",
    "maxSkippedRanksAllowed": "unlimited", "maxRankingsAllowed": str(k),
    "nonIntegerWinningThreshold": False, "doesFirstRoundDetermineThreshold": False,
    "hareQuota": False, "batchElimination": False, "continueUntilTwoCandidatesRemain": False,
    "stopTabulationEarlyAfterRound": "", "exhaustOnDuplicateCandidate": False,
    "rulesDescription": "scale bench",
}
with open(path("ess_config.json"), "w") as f:
    json.dump({
        "tabulatorVersion": "1.3.2",
        "outputSettings": {"contestName": "Scale", "outputDirectory": "output", "contestDate": "",
                           "contestJurisdiction": "", "contestOffice": "", "tabulateByPrecinct": False,
                           "generateCdfJson": False},
        "cvrFileSources": [{"filePath": "ess.xlsx", "contestId": "", "firstVoteColumnIndex": "4",
                            "firstVoteRowIndex": "2", "idColumnIndex": "", "precinctColumnIndex": "",
                            "overvoteDelimiter": "", "provider": "ess", "overvoteLabel": "",
                            "undervoteLabel": "undervote", "undeclaredWriteInLabel": "",
                            "treatBlankAsUndeclaredWriteIn": False}],
        "candidates": [{"name": name, "excluded": False, "aliases": []} for name in names],
        "rules": rules,
    }, f, indent=1)
