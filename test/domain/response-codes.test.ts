import { describe, expect, test } from "bun:test";
import { declineReason } from "../../src/api/present.ts";
import { APPROVAL_RESPONSE_CODES, isApproval, isResponseCode, RESPONSE_CODE_LIST } from "../../src/domain/response-codes.ts";

describe("the response-code table", () => {
  test("the codes Sekisho gives; 00 and 10 approve", () => {
    expect(RESPONSE_CODE_LIST).toEqual(["00", "05", "10", "12", "13", "14", "30", "41", "43", "46", "51", "54", "57", "61", "62", "65", "91", "96"]);
    expect([...APPROVAL_RESPONSE_CODES].sort()).toEqual(["00", "10"]);
    expect([isApproval("00"), isApproval("10"), isApproval("05"), isApproval("85"), isApproval(null)]).toEqual([true, true, false, false, false]);
    expect([isResponseCode("51"), isResponseCode("85"), isResponseCode("toString")]).toEqual([true, false, false]);
  });

  test("the API's reason for a decline comes from the table, a code without one is named", () => {
    expect(declineReason("51")).toBe("insufficient_funds");
    expect(declineReason("62")).toBe("card_suspended");
    expect(declineReason("00")).toBe("response_code_00");
    expect(declineReason(null)).toBeNull();
  });
});
