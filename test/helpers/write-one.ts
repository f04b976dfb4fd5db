// One entry written on its own, for tests that look at a single write. The CLI writes batches
// through the Publisher; these go through the same TagWriter and BundleWriter, one entry each.
import {type AttestationRequest, prepareAttestation} from '../../src/formats/attestation.js'
import {
  attestationItem,
  type BundleAttestationRequest,
  type BundleSignatureRequest,
  type BundleWriter,
  type BundleWriteResult,
  signatureItem,
} from '../../src/formats/bundle/index.js'
import {type AppendResult, type PreparedLayer, type TagWriter} from '../../src/formats/tag-writer.js'
import {type Repository} from '../../src/reference/reference.js'
import {type RegistryClient} from '../../src/registry/client.js'
import {type AddedReferrer, addReferrers} from '../../src/registry/referrers.js'
import {type Descriptor} from '../../src/registry/types.js'

export async function writePrepared(writer: TagWriter, prepared: PreparedLayer): Promise<AppendResult> {
  if ('existing' in prepared) return prepared.existing
  const [result] = await writer.append(prepared.repository, prepared.tag, [prepared.layer], {dockerMediaTypes: prepared.dockerMediaTypes})
  return result!
}

export async function writeAttestation(writer: TagWriter, request: AttestationRequest): Promise<AppendResult> {
  return writePrepared(writer, await prepareAttestation(writer.client, request))
}

export async function writeBundleSignature(writer: BundleWriter, request: BundleSignatureRequest): Promise<BundleWriteResult> {
  const [result] = await writer.write(request, [signatureItem(request)])
  return result!
}

export async function writeBundleAttestation(writer: BundleWriter, request: BundleAttestationRequest): Promise<BundleWriteResult> {
  const [result] = await writer.write(request, [attestationItem(request)])
  return result!
}

export async function addReferrer(client: RegistryClient, repository: Repository, subject: Descriptor, manifestBytes: Buffer, mediaType: string): Promise<AddedReferrer> {
  const added = await addReferrers(client, repository, subject, [manifestBytes], mediaType)
  return {descriptor: added.descriptors[0]!, via: added.via}
}
