import { afterEach, describe, expect, it } from 'vitest';
import { AP, FA, HA, settle, startLab, type Lab } from '../../support/lab-site.ts';
import type { PmipEvent } from '../../../src/pmip/events.ts';

const CLIENT = { mac: '02:00:00:00:00:01', address: '127.0.1.50', ssid: 'corp' };

/** A compact, comparable line per event: node, type and the fields that matter for the story. */
function line(e: PmipEvent): string {
  switch (e.type) {
    case 'client-moved':
      return `${e.node} ${e.type} ${e.movement}${e.careOfAddress ? ` ${e.careOfAddress}` : ''}`;
    case 'registration-sent':
      return `${e.node} ${e.type} ${e.kind} ha=${e.homeAgent} coa=${e.careOfAddress} life=${e.lifetime}${e.retransmission ? ' retx' : ''}`;
    case 'reply-received':
      return `${e.node} ${e.type} ${e.kind} code=${e.code} life=${e.lifetime}`;
    case 'registration-outcome':
      return `${e.node} ${e.type} ${e.kind} ${e.outcome} ha=${e.homeAgent}${e.foreignAgent ? ` fa=${e.foreignAgent}` : ''} tx=${e.transmissions}`;
    case 'request-received':
      return `${e.node} ${e.type} ${e.kind} coa=${e.careOfAddress}`;
    case 'request-relayed':
      return `${e.node} ${e.type} ha=${e.homeAgent}`;
    case 'reply-sent':
      return `${e.node} ${e.type} code=${e.code}${e.relayed ? ' relayed' : ''}`;
    case 'binding-created':
    case 'binding-renewed':
    case 'binding-removed':
    case 'binding-expired':
      return `${e.node} ${e.type} ${e.homeAddress}->${e.careOfAddress} life=${e.lifetime}`;
    case 'visitor-added':
    case 'visitor-removed':
      return `${e.node} ${e.type} ${e.homeAddress}${e.cause ? ` ${e.cause}` : ''}`;
    case 'client-state':
      return `${e.node} ${e.type} ${e.state}${e.homeAgent ? ` ha=${e.homeAgent}` : ''}${e.careOfAddress ? ` coa=${e.careOfAddress}` : ''}`;
    case 'arp-sent':
      return `${e.node} ${e.type} ${e.kind} ${e.address}`;
    default:
      return `${e.node} ${e.type}`;
  }
}

describe('a client roams home -> foreign A -> foreign B -> home', () => {
  let lab: Lab;
  afterEach(async () => {
    await lab?.stop();
  });

  it('produces the exact messages, events, bindings and visitor entries at each step', async () => {
    lab = await startLab();
    const story = (): string[] =>
      lab.recorder.events
        .filter((e) => !['advertisement-sent', 'advertisement-received'].includes(e.type))
        .map(line);

    // 1. At home: no registration, nothing bound.
    lab.ap('A').associate(CLIENT);
    await settle();
    expect(story()).toEqual(['ap-A client-state home']);
    expect(lab.ha('A').bindings()).toEqual([]);
    lab.recorder.clear();

    // 2. Home -> foreign subnet B: registration through FA B.
    lab.ap('A').disassociate(CLIENT.mac);
    lab.ap('B').associate(CLIENT);
    await lab.waitFor('reply-received');
    await settle();
    expect(story()).toEqual([
      'ap-A client-removed',
      `ap-B client-moved home-to-foreign ${FA('B')}`,
      'ap-B client-state pending',
      `ap-B client-state pending ha=${HA('A')} coa=${FA('B')}`,
      `ap-B registration-sent initial ha=${HA('A')} coa=${FA('B')} life=600`,
      `fa-B request-received initial coa=${FA('B')}`,
      `fa-B request-relayed ha=${HA('A')}`,
      `ha-A request-received initial coa=${FA('B')}`,
      `ha-A arp-sent proxy ${CLIENT.address}`,
      `ha-A arp-sent gratuitous ${CLIENT.address}`,
      `ha-A binding-created ${CLIENT.address}->${FA('B')} life=600`,
      'ha-A reply-sent code=0',
      `fa-B visitor-added ${CLIENT.address}`,
      'fa-B reply-sent code=0 relayed',
      'ap-B reply-received initial code=0 life=600',
      `ap-B registration-outcome initial accepted ha=${HA('A')} fa=${FA('B')} tx=1`,
      `ap-B client-state registered ha=${HA('A')} coa=${FA('B')}`,
    ]);
    expect(
      lab
        .ha('A')
        .bindings()
        .map((b) => [b.homeAddress, b.careOfAddress, b.lifetime]),
    ).toEqual([[CLIENT.address, FA('B'), 600]]);
    expect(
      lab
        .fa('B')
        .visitors()
        .map((v) => [v.homeAddress, v.homeAgent, v.lifetime]),
    ).toEqual([[CLIENT.address, HA('A'), 600]]);
    expect(lab.ap('B').client(CLIENT.mac)).toMatchObject({
      state: 'registered',
      homeAgent: HA('A'),
      careOfAddress: FA('B'),
    });
    lab.recorder.clear();

    // 3. Foreign B -> foreign C: a new care-of address; FA B keeps its visitor entry until it expires.
    lab.scheduler.advance(60_000);
    lab.ap('B').disassociate(CLIENT.mac);
    lab.ap('C').associate(CLIENT);
    await lab.waitFor('reply-received');
    await settle();
    expect(story()).toContain(`ap-C client-moved foreign-to-foreign ${FA('C')}`);
    expect(story()).toContain(`ap-C registration-sent initial ha=${HA('A')} coa=${FA('C')} life=600`);
    expect(story()).toContain('ap-C reply-received initial code=0 life=600');
    expect(
      lab
        .ha('A')
        .bindings()
        .map((b) => [b.homeAddress, b.careOfAddress]),
    ).toEqual([[CLIENT.address, FA('C')]]);
    expect(
      lab
        .fa('C')
        .visitors()
        .map((v) => v.homeAddress),
    ).toEqual([CLIENT.address]);
    expect(
      lab
        .fa('B')
        .visitors()
        .map((v) => v.homeAddress),
    ).toEqual([CLIENT.address]);
    lab.recorder.clear();

    // 4. Foreign C -> home: deregistration straight to the home agent, gratuitous ARP, binding gone.
    lab.scheduler.advance(60_000);
    lab.ap('C').disassociate(CLIENT.mac);
    lab.ap('A').associate(CLIENT);
    await lab.waitFor('reply-received');
    await settle();
    expect(story()).toEqual([
      'ap-C client-removed',
      'ap-A client-state home',
      'ap-A client-moved foreign-to-home',
      `ap-A client-state home ha=${HA('A')}`,
      `ap-A registration-sent deregistration ha=${HA('A')} coa=${CLIENT.address} life=0`,
      `ha-A request-received deregistration coa=${CLIENT.address}`,
      `ha-A arp-sent gratuitous ${CLIENT.address}`,
      `ha-A binding-removed ${CLIENT.address}->${FA('C')} life=0`,
      'ha-A reply-sent code=0',
      'ap-A reply-received deregistration code=0 life=0',
      `ap-A registration-outcome deregistration accepted ha=${HA('A')} tx=1`,
      `ap-A arp-sent gratuitous ${CLIENT.address}`,
      `ap-A client-state home ha=${HA('A')}`,
    ]);
    expect(lab.ha('A').bindings()).toEqual([]);
    expect(lab.ap('A').client(CLIENT.mac)).toMatchObject({ state: 'home' });
    expect(lab.dataPlanes.get('ap-A')!.actions).toContainEqual({
      action: 'gratuitous-arp',
      address: CLIENT.address,
      mac: CLIENT.mac,
    });
    expect(AP('A')).toBe('127.0.1.10');
  });
});
